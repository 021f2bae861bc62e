import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '@sandbox/testing';
import { internalPost, startGateway, TestGateway } from '../support/gateway';
import { launchChromium } from './chromium';

/** graphql-ws' own browser build, as a frontend would bundle it. */
const GRAPHQL_WS_UMD = readFileSync(`${REPO_ROOT}/node_modules/graphql-ws/umd/graphql-ws.min.js`);
const PAGE = '<!doctype html><html><head><title>app</title><script src="/graphql-ws.js"></script></head><body>app</body></html>';

/** A frontend's own server on another origin (another port): the page and its script, nothing else. */
async function serveApp(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/graphql-ws.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(GRAPHQL_WS_UMD);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** What the page holds: graphql-ws' global from its script, and the events the test collects. */
type AppWindow = { graphqlWs: typeof import('graphql-ws'); events: unknown[] };

/** fetch() from the page, as a browser app calls the API: JSON body, Bearer key. */
function callFromPage(page: Page, endpoint: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  return page.evaluate(
    async ({ endpoint, key, query, variables }) => {
      try {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query, variables }),
        });
        return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] }, remaining: res.headers.get('ratelimit-remaining') };
      } catch (error) {
        return { failed: String(error) };
      }
    },
    { endpoint, key, query, variables },
  );
}

describe('A browser app on another origin (real Chromium)', () => {
  let gateway: TestGateway;
  let app: { server: Server; port: number };
  let chromium: { browser: Browser; close(): Promise<void> };
  let key: string;

  beforeAll(async () => {
    gateway = await startGateway({ CORS_ORIGINS: 'http://127.0.0.1:*' });
    ({ key } = await gateway.newUser());
    app = await serveApp();
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.server.close();
    await gateway?.close();
  });

  it('should call queries and a mutation, and follow a subscription from its snapshot to a status change', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`http://127.0.0.1:${app.port}/`);
    const endpoint = `${gateway.url}/graphql`;

    const list = await callFromPage(page, endpoint, key, '{ sessions { total } }');
    expect(list).toMatchObject({ status: 200, body: { data: { sessions: { total: 0 } } } });
    expect('remaining' in list && list.remaining).toBe('599'); // RateLimit-* headers are readable cross-origin

    const created = await callFromPage(page, endpoint, key, 'mutation { createSession { id status } }');
    expect(created).toMatchObject({ status: 200, body: { data: { createSession: { status: 'PENDING' } } } });
    const id = String((created.body?.data?.createSession as { id: string }).id);

    await page.evaluate(
      ({ url, key, id }) => {
        const page = globalThis as unknown as AppWindow;
        page.events = [];
        const client = page.graphqlWs.createClient({ url, connectionParams: { authorization: `Bearer ${key}` } });
        client.subscribe(
          { query: 'subscription($id: ID!) { sessionEvents(sessionId: $id) { type status } }', variables: { id } },
          { next: (value) => page.events.push(value.data?.sessionEvents ?? value.errors), error: (error) => page.events.push({ error: String(error) }), complete: () => undefined },
        );
      },
      { url: `${gateway.url.replace('http', 'ws')}/graphql`, key, id },
    );
    await page.waitForFunction(() => (globalThis as unknown as AppWindow).events.length >= 1);
    // The manager reports the sandbox started: the page hears it.
    expect((await internalPost(gateway, `/api/internal/sessions/${id}/start`)).status).toBe(200);
    await page.waitForFunction(() => (globalThis as unknown as AppWindow).events.length >= 2);
    expect(await page.evaluate(() => (globalThis as unknown as AppWindow).events)).toEqual([
      { type: 'SNAPSHOT', status: 'PENDING' },
      { type: 'STATUS_CHANGED', status: 'ACTIVE' },
    ]);
    await page.close();
  });

  it('should keep a page on an origin that is not allowed out, over HTTP and WebSocket', async () => {
    const outsider = await gateway.newUser();
    const page = await chromium.browser.newPage();
    // Same server, but `localhost` is another origin than the allowed http://127.0.0.1:*.
    await page.goto(`http://localhost:${app.port}/`);
    const attempt = await callFromPage(page, `${gateway.url}/graphql`, outsider.key, 'mutation { createSession { id } }');
    expect(attempt).toEqual({ failed: expect.stringContaining('Failed to fetch') });
    const socket = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url, 'graphql-transport-ws');
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `${gateway.url.replace('http', 'ws')}/graphql`,
    );
    expect(socket).toBe('refused');
    // The preflight was refused, so the mutation itself was never sent.
    const { rows } = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [outsider.userId]);
    expect(rows[0].n).toBe(0);
    await page.close();
  });

  it('should load the explorer at /graphql with every request but the gateway’s blocked (offline)', async () => {
    const page = await chromium.browser.newPage();
    const elsewhere: string[] = [];
    const origin = new URL(gateway.url).origin;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith(origin.replace('http', 'ws'))) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));
    const response = await page.goto(`${gateway.url}/graphql`);
    expect(response?.status()).toBe(200);
    // The IDE rendered: its URL box shows the endpoint, the query editor and the Send button are there.
    await page.getByText('Send Request').first().waitFor({ state: 'visible' });
    await page.locator('app-query-editor').first().waitFor({ state: 'visible' });
    expect(await page.content()).toContain(`${origin}/graphql`);
    expect(elsewhere).toEqual([]);
    expect(failed).toEqual([]);
    await page.close();
  });
});
