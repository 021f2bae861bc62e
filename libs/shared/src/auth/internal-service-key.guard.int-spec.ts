import { Controller, DynamicModule, Get, Module, UseGuards } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { LoggingModule } from '../logging/logging.module';
import { configureApp } from '../bootstrap/bootstrap';
import { InternalServiceKeyGuard } from './internal-service-key.guard';

const CURRENT_KEY = 'current-key-0123456789abcdef';
const PREVIOUS_KEY = 'previous-key-fedcba9876543210';

@Controller('api/internal/ping')
@UseGuards(InternalServiceKeyGuard)
class PingController {
  @Get()
  ping(): { pong: true } {
    return { pong: true };
  }
}

function guardedModule(config: Record<string, unknown> = {}): DynamicModule {
  @Module({})
  class GuardedModule {}
  return {
    module: GuardedModule,
    imports: [
      ConfigModule.forRoot({ ignoreEnvFile: true, isGlobal: true, load: [() => ({ INTERNAL_SERVICE_KEY: `${CURRENT_KEY}, ${PREVIOUS_KEY}`, LOG_LEVEL: 'silent', ...config })] }),
      LoggingModule.forService('guard-test'),
    ],
    controllers: [PingController],
  };
}

async function startGuarded(config: Record<string, unknown> = {}): Promise<{ app: NestExpressApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [guardedModule(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  await configureApp(app, { name: 'guard-test', title: 'guard-test', description: 'guard test' });
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/api/internal/ping` };
}

describe(InternalServiceKeyGuard.name, () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startGuarded());
  });

  afterAll(async () => {
    await app.close();
  });

  const call = async (headers: Record<string, string> = {}) => {
    const response = await request(url, { headers });
    return { status: response.statusCode, body: (await response.body.json()) };
  };

  it('should accept the current key', async () => {
    expect(await call({ 'x-internal-service-key': CURRENT_KEY })).toEqual({ status: 200, body: { pong: true } });
  });

  it('should accept the previous key while keys are rotated', async () => {
    expect(await call({ 'X-Internal-Service-Key': PREVIOUS_KEY })).toEqual({ status: 200, body: { pong: true } });
  });

  it.each([
    ['missing', {}],
    ['wrong', { 'x-internal-service-key': 'current-key-0123456789abcdeX' }],
    ['shorter', { 'x-internal-service-key': CURRENT_KEY.slice(0, -1) }],
    ['longer', { 'x-internal-service-key': `${CURRENT_KEY}0` }],
    ['empty', { 'x-internal-service-key': '' }],
    ['both keys joined', { 'x-internal-service-key': `${CURRENT_KEY},${PREVIOUS_KEY}` }],
    ['sent as Authorization instead', { authorization: `Bearer ${CURRENT_KEY}` }],
  ])('should answer 403 Forbidden for a %s key', async (_label, headers) => {
    expect(await call(headers)).toEqual({ status: 403, body: { statusCode: 403, message: 'Forbidden' } });
  });

  it('should answer 429 with Retry-After once an address spent its budget of wrong keys, even for the right key', async () => {
    const limited = await startGuarded({ AUTH_FAILURE_LIMIT: 3, AUTH_FAILURE_WINDOW_MS: 60_000 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(limited.url, { headers: { 'x-internal-service-key': `guess-${i}-0123456789abcdef` } })).statusCode);
      expect(statuses).toEqual([403, 403, 403]);
      const refused = await request(limited.url, { headers: { 'x-internal-service-key': CURRENT_KEY } });
      expect(refused.statusCode).toBe(429);
      const body = (await refused.body.json()) as { message: string };
      expect(body).toEqual({ statusCode: 429, message: expect.stringMatching(/^Too many requests, retry in \d+ s$/) });
      expect(refused.headers['retry-after']).toBe(/retry in (\d+) s/.exec(body.message)?.[1]);
      expect(refused.headers['ratelimit-limit']).toBe('3');
      expect(refused.headers['ratelimit-remaining']).toBe('0');
    } finally {
      await limited.app.close();
    }
  });
});
