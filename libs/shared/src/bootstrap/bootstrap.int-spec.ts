import { Controller, Get, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { LoggingModule } from '../logging/logging.module';
import { configureApp, KEEP_ALIVE_TIMEOUT_MS } from './bootstrap';

@Controller('ping')
class PingController {
  @Get()
  ping(): { pong: true } {
    return { pong: true };
  }
}

@Module({
  imports: [ConfigModule.forRoot({ ignoreEnvFile: true, isGlobal: true, load: [() => ({ LOG_LEVEL: 'silent' })] }), LoggingModule.forService('bootstrap-test')],
  controllers: [PingController],
})
class PingModule {}

describe(configureApp.name, () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [PingModule] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
    await configureApp(app, { name: 'bootstrap-test', title: 'bootstrap-test', description: 'bootstrap test' });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ping`;
  });

  afterAll(async () => {
    await app.close();
  });

  it('should keep idle connections for KEEP_ALIVE_TIMEOUT_MS and say so to clients, not for Node’s 5 s', async () => {
    const response = await request(url);
    await response.body.dump();

    expect(response.statusCode).toBe(200);
    expect(response.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    const server = app.getHttpServer();
    expect(server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });
});
