import { Logger } from '@nestjs/common';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { ApiKeyThrottlerGuard } from '../src/modules/auth/api-key-throttler.guard';
import { startGateway, TestGateway, wsClient } from './support/gateway';

const SESSIONS = '{ sessions { total } }';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** POST /graphql from a chosen loopback address (the whole 127/8 reaches a server on 127.0.0.1 under Linux). */
function gqlFrom(gateway: TestGateway, localAddress: string, key: string | null, query = SESSIONS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${gateway.url}/graphql`,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

/** Both limits answer alike: 429, `Too many requests, retry in {n} s`, Retry-After and RateLimit-* headers. */
function expectRateLimited(res: Answer, limit: number): void {
  expect(res.status).toBe(429);
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Too many requests, retry in \d+ s$/), extensions: { code: 'RATE_LIMITED' } });
  const retryIn = Number(/retry in (\d+) s/.exec(res.body.errors?.[0].message ?? '')?.[1]);
  expect(retryIn).toBeGreaterThan(0);
  expect(res.headers['retry-after']).toBe(String(retryIn));
  expect(res.headers['ratelimit-limit']).toBe(String(limit));
  expect(res.headers['ratelimit-remaining']).toBe('0');
  expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
}

describe(ApiKeyThrottlerGuard.name, () => {
  let gateway: TestGateway;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    gateway = await startGateway({ THROTTLE_LIMIT: '3', THROTTLE_TTL_MS: '60000', AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_MS: '60000' });
  });

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
  });

  afterEach(() => {
    errors.mockRestore();
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('per API key', () => {
    it('should count a request once however many fields or aliases it has, with RateLimit headers', async () => {
      const { key } = await gateway.newUser();
      const aliased = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: sessions { total }`).join(' ')} }`;
      const first = await gqlFrom(gateway, '127.0.0.1', key, aliased);
      expect(first.status).toBe(200);
      expect(first.body.errors).toBeUndefined();
      expect(first.headers['ratelimit-limit']).toBe('3');
      expect(first.headers['ratelimit-remaining']).toBe('2');
      expect((await gqlFrom(gateway, '127.0.0.1', key)).headers['ratelimit-remaining']).toBe('1');
      expect((await gqlFrom(gateway, '127.0.0.1', key)).headers['ratelimit-remaining']).toBe('0');
    });

    it('should count operations that run no resolver ({ __typename }, introspection) like any other', async () => {
      const { key } = await gateway.newUser();
      const first = await gqlFrom(gateway, '127.0.0.1', key, '{ __typename }');
      expect(first.status).toBe(200);
      expect(first.body.data).toEqual({ __typename: 'Query' });
      expect(first.headers['ratelimit-remaining']).toBe('2');
      expect((await gqlFrom(gateway, '127.0.0.1', key, '{ __schema { queryType { name } } }')).headers['ratelimit-remaining']).toBe('1');
      expect((await gqlFrom(gateway, '127.0.0.1', key, 'query Named { __typename }')).headers['ratelimit-remaining']).toBe('0');
      expectRateLimited(await gqlFrom(gateway, '127.0.0.1', key, '{ __typename }'), 3);
    });

    it('should count each operation started over graphql-ws against the same key', async () => {
      const { key } = await gateway.newUser();
      expect((await gqlFrom(gateway, '127.0.0.1', key)).headers['ratelimit-remaining']).toBe('2');
      const client = wsClient(gateway, key);
      const run = () =>
        new Promise<string>((resolve) => {
          client.subscribe({ query: '{ sessions { total } }' }, { next: (value) => resolve(JSON.stringify(value)), error: (error) => resolve(JSON.stringify(error)), complete: () => undefined });
        });
      try {
        expect(await run()).toContain('"total":0');
        expect(await run()).toContain('"total":0');
        expect(await run()).toMatch(/Too many requests, retry in \d+ s.*RATE_LIMITED/);
      } finally {
        await client.dispose();
      }
      expect((await gqlFrom(gateway, '127.0.0.1', key)).status).toBe(429);
    });

    it('should require an API key for { __typename } too', async () => {
      const res = await gqlFrom(gateway, '127.0.0.9', null, '{ __typename }');
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
      expect(res.body.data).toBeUndefined();
    });

    it('should answer a request over the limit once, with one error and no error logged, however many aliases it has', async () => {
      const { key } = await gateway.newUser();
      for (let i = 0; i < 3; i++) expect((await gqlFrom(gateway, '127.0.0.1', key)).status).toBe(200);
      const aliased = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: sessions { total }`).join(' ')} }`;
      expectRateLimited(await gqlFrom(gateway, '127.0.0.1', key, aliased), 3);
      // The fields still running after the answer was sent must not try to write headers (ERR_HTTP_HEADERS_SENT).
      expect((await gqlFrom(gateway, '127.0.0.1', key)).status).toBe(429);
      expect(errors).not.toHaveBeenCalled();
    });
  });

  describe('failed authentication per client address', () => {
    it('should answer 429 with Retry-After once an address spent its failure budget, even before checking a valid key', async () => {
      const address = '127.0.0.2';
      const { key } = await gateway.newUser();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await gqlFrom(gateway, address, `sk_guess_${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      expectRateLimited(await gqlFrom(gateway, address, 'sk_guess_again'), 5);
      expectRateLimited(await gqlFrom(gateway, address, null), 5);
      // The documented rule: a blocked address is answered before its key is looked at, until the window ends.
      expectRateLimited(await gqlFrom(gateway, address, key), 5);
      // Another address is not affected, and the key itself is fine.
      expect((await gqlFrom(gateway, '127.0.0.3', key)).status).toBe(200);
    });

    it('should count a request with many aliases and a bad key as one failure', async () => {
      const address = '127.0.0.4';
      const aliased = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: sessions { total }`).join(' ')} }`;
      const first = await gqlFrom(gateway, address, 'sk_guess', aliased);
      expect(first.status).toBe(401);
      expect(first.body.errors).toHaveLength(1);
      for (let i = 0; i < 4; i++) expect((await gqlFrom(gateway, address, `sk_guess_${i}`)).status).toBe(401);
      expect((await gqlFrom(gateway, address, 'sk_guess')).status).toBe(429);
      expect(errors).not.toHaveBeenCalled();
    });

    it('should not count successful requests against the failure budget', async () => {
      const address = '127.0.0.5';
      const { key } = await gateway.newUser();
      const other = await gateway.newUser();
      for (let i = 0; i < 4; i++) expect((await gqlFrom(gateway, address, `sk_guess_${i}`)).status).toBe(401);
      for (const valid of [key, key, key, other.key]) expect((await gqlFrom(gateway, address, valid)).status).toBe(200);
      expect((await gqlFrom(gateway, address, 'sk_guess_last')).status).toBe(401);
      expect((await gqlFrom(gateway, address, 'sk_guess_over')).status).toBe(429);
    });
  });
});
