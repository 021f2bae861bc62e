import { createClient } from 'graphql-ws';
import { request } from 'undici';
import WebSocket from 'ws';
import { WebSocketOriginGate } from '../src/modules/browser/websocket-origin.gate';
import { startGateway, TestGateway } from './support/gateway';

const APP_ORIGIN = 'http://localhost:5173';
const OTHER_ORIGIN = 'http://evil.test';

/** Opens a graphql-ws connection (optionally as a browser page on `origin`) and reports how it ended up. */
async function connect(gateway: TestGateway, key: string, origin?: string): Promise<string> {
  const client = createClient({
    url: `${gateway.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, origin ? { headers: { origin } } : {});
      }
    },
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
  });
  try {
    return await new Promise<string>((resolve) => {
      client.on('connected', () => resolve('connected'));
      client.on('error', (error) => resolve(error instanceof Error ? error.message : 'error'));
      client.on('closed', (event) => resolve(`closed ${(event as { code?: number }).code ?? ''}`));
      client.subscribe({ query: '{ __typename }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });
  } finally {
    await client.dispose();
  }
}

describe('Browser access to the gateway', () => {
  let gateway: TestGateway;
  let key: string;

  beforeAll(async () => {
    gateway = await startGateway({ CORS_ORIGINS: 'http://localhost:*,http://127.0.0.1:*' });
    ({ key } = await gateway.newUser());
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('CORS', () => {
    it('should answer a preflight from an allowed origin with 204, the allowed methods and headers, and no credentials', async () => {
      const res = await request(`${gateway.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      await res.body.dump();
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(String(res.headers['access-control-allow-methods']).split(',')).toEqual(expect.arrayContaining(['GET', 'POST']));
      expect(String(res.headers['access-control-allow-headers']).split(',')).toEqual(['authorization', 'content-type']);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('should give an origin that is not allowed no CORS headers', async () => {
      const res = await request(`${gateway.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: OTHER_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      await res.body.dump();
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('should let an allowed origin read the answer and its rate-limit headers', async () => {
      const res = await request(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { origin: APP_ORIGIN, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ sessions { total } }' }),
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ data: { sessions: { total: 0 } } });
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(String(res.headers['access-control-expose-headers'])).toContain('ratelimit-remaining');
    });

    it('should keep refusing simple cross-site requests (CSRF), whatever the origin', async () => {
      const form = await request(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { origin: OTHER_ORIGIN, 'content-type': 'text/plain' },
        body: JSON.stringify({ query: 'mutation { createSession { id } }' }),
      });
      await form.body.dump();
      expect(form.statusCode).toBe(400);
      const get = await request(`${gateway.url}/graphql?query=${encodeURIComponent('{ sessions { total } }')}`, { headers: { origin: APP_ORIGIN } });
      expect(get.statusCode).toBe(400);
      expect(await get.body.text()).toContain('CSRF');
    });
  });

  describe(WebSocketOriginGate.name, () => {
    it('should refuse an upgrade from an origin that is not allowed with 403', async () => {
      const outcome = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { origin: OTHER_ORIGIN } });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => reject(new Error('upgrade accepted')));
        socket.on('error', () => undefined);
      });
      expect(outcome).toBe(403);
    });

    it('should accept an allowed origin, the gateway’s own origin and clients that send no origin', async () => {
      expect(await connect(gateway, key, APP_ORIGIN)).toBe('connected');
      expect(await connect(gateway, key, `http://127.0.0.1:${gateway.port}`)).toBe('connected');
      expect(await connect(gateway, key)).toBe('connected');
    });
  });

  describe('explorer', () => {
    it('should answer a browser’s GET /graphql with the explorer page, its assets served by the gateway', async () => {
      const page = await request(`${gateway.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      const html = await page.body.text();
      expect(html).toContain('AltairGraphQL.init');
      expect(html).not.toMatch(/(src|href)="https?:/);
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await request(`${gateway.url}/graphql-explorer/${script}`);
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['content-type']).toContain('javascript');
      await asset.body.dump();
    });

    it('should leave GraphQL requests to Apollo and refuse paths outside the explorer’s files', async () => {
      const get = await request(`${gateway.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { accept: 'text/html', authorization: `Bearer ${key}` },
      });
      expect(get.statusCode).not.toBe(500);
      expect(await get.body.text()).not.toContain('AltairGraphQL');
      const escape = await request(`${gateway.url}/graphql-explorer/..%2f..%2fpackage.json`);
      expect(escape.statusCode).toBeGreaterThanOrEqual(400);
      expect(escape.statusCode).toBeLessThan(500);
      expect(await escape.body.text()).not.toContain('"dependencies"');
    });
  });
});
