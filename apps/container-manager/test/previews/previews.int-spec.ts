import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ManagerRoutes, PreviewErrors } from '@sandbox/contracts';
import { RunningApp, startTestApp } from '@sandbox/testing';
import { AppModule } from '../../src/app.module';
import { dockerOptions } from '../../src/repositories/docker.repository';
import { PreviewsService } from '../../src/modules/previews/previews.service';
import { SessionEvents } from '../../src/modules/sessions/session-events';
import { CONTAINER_MANAGER_SERVICE } from '../../src/service';
import { EchoedRequest, Reply, call, download, eventually, sha256 } from './http-helpers';
import { SandboxFixture } from '../support/sandbox-fixture';

const KEY = 'previews-test-internal-key-0123456789';
const DOMAIN = 'preview.localhost';

describe(PreviewsService.name, () => {
  const docker = new Docker(dockerOptions(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'));
  const dataDir = mkdtempSync(join(tmpdir(), 'previews-int-'));
  const fixtures: SandboxFixture[] = [];
  let app: RunningApp;
  let a: SandboxFixture;
  let b: SandboxFixture;

  const boot = () =>
    startTestApp(() => AppModule.forRoot(), CONTAINER_MANAGER_SERVICE, {
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      INTERNAL_SERVICE_KEY: KEY,
      PREVIEW_DOMAIN: DOMAIN,
      LOG_LEVEL: 'silent',
    });
  const sandbox = async (options: { labelSessionId?: string; network?: string } = {}, id = randomUUID()) => {
    const fixture = await SandboxFixture.create(docker, id, options);
    fixtures.push(fixture);
    return fixture;
  };
  const register = (id: string, body: unknown): Promise<Reply> =>
    call(app.port, ManagerRoutes.previews(id), { method: 'POST', headers: { 'x-internal-service-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const hostOf = (port: number, id: string) => `${port}-${id}.${DOMAIN}:${app.port}`;
  const viaHost = (port: number, id: string, path: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}) =>
    call(app.port, path, { ...options, headers: { host: hostOf(port, id), ...options.headers } });
  const echo = (reply: Reply): EchoedRequest => {
    expect(reply.status).toBe(200);
    return reply.json<EchoedRequest>();
  };

  beforeAll(async () => {
    app = await boot();
    [a, b] = await Promise.all([sandbox(), sandbox()]);
    await Promise.all([a.serve(3000, 'a-3000'), a.serve(3001, 'a-3001'), b.serve(3000, 'b-3000')]);
    for (const [fixture, port] of [[a, 3000], [a, 3001], [b, 3000]] as const) expect((await register(fixture.sessionId, { port })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all(fixtures.map((fixture) => fixture.remove()));
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  describe('registration', () => {
    it('should register several ports and list them most recent first with host-form URLs', async () => {
      const c = await sandbox();
      for (const port of [3001, 3000, 3001]) {
        const reply = await register(c.sessionId, { port });
        expect(reply.status).toBe(201);
        expect(reply.json()).toEqual({ sessionId: c.sessionId, port, registered: true, url: `http://${port}-${c.sessionId}.${DOMAIN}:4002/`, private: false });
      }
      const list = await call(app.port, ManagerRoutes.previews(c.sessionId), { headers: { 'x-internal-service-key': KEY } });
      expect(list.json()).toEqual({
        sessionId: c.sessionId,
        previews: [expect.objectContaining({ port: 3001, registered: true }), expect.objectContaining({ port: 3000, registered: true })],
      });
    });

    it('should answer the exact 400 messages for a missing or invalid port', async () => {
      for (const body of [{}, { port: null }]) expect((await register(a.sessionId, body)).json()).toEqual({ statusCode: 400, message: PreviewErrors.missingPort });
      for (const port of [80, 1023, 65536, 3000.5, '3000', -1]) expect((await register(a.sessionId, { port })).json()).toEqual({ statusCode: 400, message: PreviewErrors.invalidPort });
      const unregister = await call(app.port, ManagerRoutes.preview(a.sessionId, 99), { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
      expect(unregister.json()).toEqual({ statusCode: 400, message: PreviewErrors.invalidPort });
    });

    it('should refuse registration with the exact 500 messages when the container is missing, stopped or has no address', async () => {
      const missing = randomUUID();
      expect((await register(missing, { port: 3000 })).json()).toEqual({ statusCode: 500, message: PreviewErrors.containerNotFound(missing, 'no such container') });
      const stopped = await sandbox();
      await stopped.stop();
      expect((await register(stopped.sessionId, { port: 3000 })).json()).toEqual({ statusCode: 500, message: PreviewErrors.containerNotRunning(stopped.sessionId) });
      const offline = await sandbox({ network: 'none' });
      expect((await register(offline.sessionId, { port: 3000 })).json()).toEqual({ statusCode: 500, message: PreviewErrors.noContainerIp(offline.sessionId) });
    });

    it('should refuse a container whose session label names another session (recycled name)', async () => {
      const impostor = await sandbox({ labelSessionId: a.sessionId });
      expect((await register(impostor.sessionId, { port: 3000 })).json()).toEqual({
        statusCode: 500,
        message: PreviewErrors.containerNotFound(impostor.sessionId, 'container belongs to another session'),
      });
    });

    it('should require the internal key on every registration route', async () => {
      for (const key of [undefined, 'wrong-key-wrong-key-wrong']) {
        const headers: Record<string, string> = key ? { 'x-internal-service-key': key } : {};
        for (const [method, path] of [['POST', ManagerRoutes.previews(a.sessionId)], ['GET', ManagerRoutes.previews(a.sessionId)], ['DELETE', ManagerRoutes.preview(a.sessionId, 3000)], ['POST', `${ManagerRoutes.preview(a.sessionId, 3000)}/token`]]) {
          const reply = await call(app.port, path, { method, headers: { ...headers, 'content-type': 'application/json' }, body: '{"port":3000}' });
          expect(reply.json()).toEqual({ statusCode: 403, message: 'Forbidden' });
        }
      }
    });

    it('should unregister a port and answer 404 for it afterwards', async () => {
      const c = await sandbox();
      await c.serve(3000);
      await register(c.sessionId, { port: 3000 });
      const removed = await call(app.port, ManagerRoutes.preview(c.sessionId, 3000), { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
      expect(removed.json()).toEqual({ sessionId: c.sessionId, port: 3000, registered: false });
      expect((await call(app.port, `/previews/${c.sessionId}/`)).json()).toEqual({ statusCode: 404, message: PreviewErrors.noPort(c.sessionId) });
      const again = await call(app.port, ManagerRoutes.preview(c.sessionId, 3000), { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
      expect(again.json()).toEqual({ statusCode: 404, message: PreviewErrors.noPort(c.sessionId) });
    });
  });

  describe('proxy forms', () => {
    it('should forward every method with its body on the path form, prefix stripped and query kept', async () => {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const body = method === 'GET' || method === 'OPTIONS' ? undefined : `{"method":"${method}"}`;
        const reply = await call(app.port, `/previews/${a.sessionId}/api/items?x=1&y=%20z`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
        const seen = echo(reply);
        expect(seen).toMatchObject({ name: 'a-3001', method, url: '/api/items?x=1&y=%20z' });
        expect(seen.body.text).toBe(body ?? '');
      }
      expect(echo(await call(app.port, `/previews/${a.sessionId}/`)).url).toBe('/');
      expect(echo(await call(app.port, `/previews/${a.sessionId}/?q=1`)).url).toBe('/?q=1');
    });

    it('should redirect the path form without its trailing slash (308) so relative assets load under the prefix', async () => {
      for (const method of ['GET', 'POST']) {
        const bare = await call(app.port, `/previews/${a.sessionId}`, { method, body: method === 'POST' ? 'x=1' : undefined });
        expect(bare.status).toBe(308);
        expect(bare.headers.location).toBe(`/previews/${a.sessionId}/`);
      }
      const withQuery = await call(app.port, `/previews/${a.sessionId}?q=1`);
      expect(withQuery.status).toBe(308);
      expect(withQuery.headers.location).toBe(`/previews/${a.sessionId}/?q=1`);
      // Followed, a page's relative URL `app.js` now resolves under the prefix.
      expect(new URL('app.js', `http://127.0.0.1${withQuery.headers.location as string}`).pathname).toBe(`/previews/${a.sessionId}/app.js`);
      expect(echo(await call(app.port, `/previews/${a.sessionId}/app.js`)).url).toBe('/app.js');
    });

    it('should route the host form by port and session, before the manager’s own routes', async () => {
      expect(echo(await viaHost(3000, a.sessionId, '/x')).name).toBe('a-3000');
      expect(echo(await viaHost(3001, a.sessionId, '/x')).name).toBe('a-3001');
      expect(echo(await viaHost(3000, b.sessionId, '/x')).name).toBe('b-3000');
      const internal = echo(await viaHost(3000, a.sessionId, ManagerRoutes.previews(a.sessionId), { headers: { 'x-internal-service-key': KEY } }));
      expect(internal).toMatchObject({ name: 'a-3000', url: ManagerRoutes.previews(a.sessionId) });
      expect(internal.headers['x-internal-service-key']).toBeUndefined();
      const upper = await call(app.port, '/x', { headers: { host: `3000-${a.sessionId.toUpperCase()}.PREVIEW.localhost` } });
      expect(echo(upper).name).toBe('a-3000');
    });

    it('should require the internal key on the internal form and never forward it', async () => {
      for (const headers of [{}, { 'x-internal-service-key': 'wrong-key-wrong-key-wrong' }] as Array<Record<string, string>>) {
        expect((await call(app.port, `/internal-previews/proxy/${a.sessionId}/x`, { headers })).json()).toEqual({ statusCode: 403, message: 'Forbidden' });
      }
      const seen = echo(await call(app.port, `/internal-previews/proxy/${a.sessionId}/x?y=1`, { method: 'POST', body: 'hello', headers: { 'x-internal-service-key': KEY } }));
      expect(seen).toMatchObject({ name: 'a-3001', method: 'POST', url: '/x?y=1', body: { text: 'hello' } });
      expect(seen.headers['x-internal-service-key']).toBeUndefined();
    });

    it('should answer 404 with the exact message on every form when no port is registered', async () => {
      const id = randomUUID();
      const expected = { statusCode: 404, message: PreviewErrors.noPort(id) };
      expect((await call(app.port, `/previews/${id}/`)).json()).toEqual(expected);
      expect((await viaHost(3000, id, '/')).json()).toEqual(expected);
      expect((await call(app.port, `/internal-previews/proxy/${id}/`, { headers: { 'x-internal-service-key': KEY } })).json()).toEqual(expected);
      // A port the session did not register, even one another session did:
      expect((await viaHost(3001, b.sessionId, '/')).json()).toEqual({ statusCode: 404, message: PreviewErrors.noPort(b.sessionId) });
    });

    it('should keep two sessions apart on every form', async () => {
      expect(echo(await call(app.port, `/previews/${b.sessionId}/who`)).name).toBe('b-3000');
      expect(echo(await call(app.port, `/previews/${a.sessionId}/who`)).name).toBe('a-3001');
      // A's origin can't reach B through the path form: the host form wins and forwards the path to A.
      const crossing = echo(await viaHost(3000, a.sessionId, `/previews/${b.sessionId}/who`));
      expect(crossing).toMatchObject({ name: 'a-3000', url: `/previews/${b.sessionId}/who` });
    });

    it('should answer 400 for malformed preview hosts and session ids', async () => {
      expect((await call(app.port, '/', { headers: { host: `abc-${a.sessionId}.${DOMAIN}` } })).status).toBe(400);
      expect((await call(app.port, '/', { headers: { host: `3000-not-a-uuid.${DOMAIN}` } })).status).toBe(400);
      expect((await call(app.port, '/previews/not-a-uuid/x')).json()).toEqual({ statusCode: 400, message: 'Session id must be a UUID' });
      expect((await call(app.port, '/previews/%2e%2e/api/internal/sessions')).status).toBe(400);
    });
  });

  describe('headers', () => {
    const hostile = {
      'x-internal-service-key': KEY,
      authorization: 'Bearer platform-token',
      cookie: 'platform_session=secret; sandbox_preview_token=abc; app=1',
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'should-not-pass',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      forwarded: 'for=1.2.3.4;host=evil.example',
      'x-real-ip': '1.2.3.4',
      'x-preview-token': 'not-a-token',
      'x-app-header': 'kept',
    };

    it('should strip platform credentials, hop-by-hop and spoofed forwarding headers on the path form', async () => {
      const seen = echo(await call(app.port, `/previews/${a.sessionId}/h`, { headers: hostile }));
      for (const name of ['x-internal-service-key', 'authorization', 'cookie', 'x-hop-secret', 'keep-alive', 'te', 'proxy-authorization', 'forwarded', 'x-real-ip', 'x-preview-token']) {
        expect(seen.headers[name]).toBeUndefined();
      }
      expect(seen.headers).toMatchObject({
        'x-app-header': 'kept',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `127.0.0.1:${app.port}`,
        'x-forwarded-prefix': `/previews/${a.sessionId}`,
      });
    });

    it('should pass the preview origin’s own cookies and Authorization on the host form, minus the token cookie', async () => {
      const seen = echo(await viaHost(3000, a.sessionId, '/h', { headers: hostile }));
      expect(seen.headers.cookie).toBe('platform_session=secret; app=1');
      expect(seen.headers.authorization).toBe('Bearer platform-token');
      for (const name of ['x-internal-service-key', 'x-hop-secret', 'keep-alive', 'proxy-authorization', 'forwarded', 'x-real-ip', 'x-preview-token']) expect(seen.headers[name]).toBeUndefined();
      expect(seen.headers).toMatchObject({ host: hostOf(3000, a.sessionId), 'x-forwarded-host': hostOf(3000, a.sessionId), 'x-forwarded-for': '127.0.0.1' });
    });

    it('should confine Set-Cookie from the sandbox to the preview', async () => {
      const onHost = (await viaHost(3000, a.sessionId, '/cookies')).headers['set-cookie'];
      expect(onHost).toEqual(['app=1; Path=/app; HttpOnly', 'evil=1; Path=/', 'sibling=1; Path=/']);
      const onPath = (await call(app.port, `/previews/${a.sessionId}/cookies`)).headers['set-cookie'];
      const prefix = `/previews/${a.sessionId}`;
      expect(onPath).toEqual([`app=1; Path=${prefix}/app; HttpOnly`, `evil=1; Path=${prefix}/`, `sibling=1; Path=${prefix}/`]);
    });
  });

  describe('streaming', () => {
    it('should stream a 50 MB download', async () => {
      const result = await download(app.port, `/previews/${a.sessionId}/big?mb=50`);
      expect(result.status).toBe(200);
      expect(result.length).toBe(50 * 1048576);
      expect(result.sha256).toBe(sha256(Buffer.alloc(50 * 1048576, 97)));
    });

    it('should stream a 20 MB upload to the sandbox intact', async () => {
      const body = Buffer.alloc(20 * 1048576, 7);
      const seen = echo(await viaHost(3000, a.sessionId, '/upload', { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } }));
      expect(seen.body).toMatchObject({ length: body.length, sha256: sha256(body) });
    });

    it('should forward Expect: 100-continue and chunked uploads, and HEAD requests', async () => {
      const expecting = echo(await viaHost(3000, a.sessionId, '/expect', { method: 'POST', body: 'hello', headers: { expect: '100-continue' } }));
      expect(expecting).toMatchObject({ method: 'POST', body: { text: 'hello' } });
      expect(expecting.headers.expect).toBeUndefined();
      const { request } = await import('node:http');
      const chunked = await new Promise<Reply>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: app.port, path: '/chunked', method: 'PUT', headers: { host: hostOf(3000, a.sessionId), 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), json: <T>() => JSON.parse(Buffer.concat(chunks).toString('utf8')) as T }));
        });
        req.on('error', reject);
        req.write('part one, ');
        setTimeout(() => req.end('part two'), 50);
      });
      expect(echo(chunked).body.text).toBe('part one, part two');
      const head = await viaHost(3000, a.sessionId, '/plain', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('2');
      expect(head.body.length).toBe(0);
    });

    it('should deliver Server-Sent Events as they are written, not at the end', async () => {
      const { request } = await import('node:http');
      const first = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: app.port, path: '/sse', headers: { host: hostOf(3001, a.sessionId) }, agent: false }, (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.setEncoding('utf8');
          res.once('data', (chunk: string) => {
            resolve(chunk);
            req.destroy();
          });
        });
        req.on('error', reject);
        req.end();
      });
      // The upstream holds the stream open until released: buffering would never show this event.
      expect(first).toBe('data: first\n\n');
      await call(app.port, '/sse-release', { headers: { host: hostOf(3001, a.sessionId) } });
    });
  });

  describe('WebSocket', () => {
    const open = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ socket: WebSocket; hello: { name: string; url: string; headers: Record<string, string> } }>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${app.port}${path}`, { headers });
        socket.once('message', (data) => resolve({ socket, hello: JSON.parse((data as Buffer).toString()) as { name: string; url: string; headers: Record<string, string> } }));
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      });
    const roundTrip = (socket: WebSocket, message: string | Buffer) =>
      new Promise<Buffer>((resolve) => {
        socket.once('message', (data) => resolve(data as Buffer));
        socket.send(message);
      });
    const refusal = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${app.port}${path}`, { headers });
        socket.once('open', () => reject(new Error('upgrade should have been refused')));
        socket.once('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        socket.once('error', () => undefined);
      });

    it('should echo text and binary frames on the path, host and internal forms', async () => {
      const forms: Array<[string, Record<string, string>, string]> = [
        [`/previews/${a.sessionId}/ws?x=1`, {}, 'a-3001'],
        ['/ws?x=1', { host: hostOf(3000, b.sessionId) }, 'b-3000'],
        [`/internal-previews/proxy/${a.sessionId}/ws?x=1`, { 'x-internal-service-key': KEY }, 'a-3001'],
      ];
      for (const [path, headers, name] of forms) {
        const { socket, hello } = await open(path, headers);
        expect(hello).toMatchObject({ name, url: '/ws?x=1' });
        expect(String(await roundTrip(socket, 'ping-text'))).toBe('ping-text');
        const binary = Buffer.alloc(200_000, 5);
        expect(Buffer.compare(await roundTrip(socket, binary), binary)).toBe(0);
        socket.close();
      }
    });

    it('should strip platform credentials and spoofed forwarding headers from the handshake', async () => {
      const { socket, hello } = await open(`/previews/${a.sessionId}/ws`, {
        'x-internal-service-key': KEY,
        authorization: 'Bearer platform-token',
        cookie: 'platform_session=secret',
        'x-forwarded-for': '1.2.3.4',
        'x-preview-token': 'nope',
      });
      socket.close();
      for (const name of ['x-internal-service-key', 'authorization', 'cookie', 'x-preview-token']) expect(hello.headers[name]).toBeUndefined();
      expect(hello.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', upgrade: 'websocket', connection: 'Upgrade' });
    });

    it('should let a hot-reload client reconnect after the dev server drops the socket', async () => {
      const first = await open('/hmr', { host: hostOf(3000, a.sessionId) });
      const closed = new Promise<number>((resolve) => first.socket.once('close', (code) => resolve(code)));
      first.socket.send('bye');
      expect(await closed).toBe(1001);
      const second = await open('/hmr', { host: hostOf(3000, a.sessionId) });
      expect(String(await roundTrip(second.socket, 'again'))).toBe('again');
      second.socket.close();
    });

    it('should refuse upgrades with the same statuses and messages as HTTP', async () => {
      const unknown = randomUUID();
      expect(await refusal(`/previews/${unknown}/ws`)).toEqual({ status: 404, body: JSON.stringify({ statusCode: 404, message: PreviewErrors.noPort(unknown) }) });
      expect(await refusal(`/internal-previews/proxy/${a.sessionId}/ws`)).toEqual({ status: 403, body: JSON.stringify({ statusCode: 403, message: 'Forbidden' }) });
      expect((await refusal('/not-a-preview')).status).toBe(404);
    });
  });

  describe('private previews', () => {
    const issue = async (id: string, port: number) => {
      const reply = await call(app.port, `${ManagerRoutes.preview(id, port)}/token`, { method: 'POST', headers: { 'x-internal-service-key': KEY } });
      expect(reply.status).toBe(201);
      return reply.json<{ token: string }>().token;
    };

    it('should require the port’s token by header, query or cookie, and never forward it', async () => {
      const c = await sandbox();
      await Promise.all([c.serve(3000, 'c-3000'), c.serve(3001, 'c-3001')]);
      await register(c.sessionId, { port: 3001 });
      await register(c.sessionId, { port: 3000 });
      const token = await issue(c.sessionId, 3000);
      const required = { statusCode: 401, message: 'A valid preview token is required' };
      expect((await viaHost(3000, c.sessionId, '/')).json()).toEqual(required);
      expect((await call(app.port, `/previews/${c.sessionId}/`)).json()).toEqual(required);
      expect((await viaHost(3000, c.sessionId, '/', { headers: { 'x-preview-token': 'x'.repeat(43) } })).json()).toEqual(required);
      // Port-scoped: the other port stays public, and this token doesn't open a port with another token.
      expect(echo(await viaHost(3001, c.sessionId, '/')).name).toBe('c-3001');
      const other = await issue(c.sessionId, 3001);
      expect((await viaHost(3001, c.sessionId, '/', { headers: { 'x-preview-token': token } })).json()).toEqual(required);
      expect(echo(await viaHost(3001, c.sessionId, '/', { headers: { 'x-preview-token': other } })).name).toBe('c-3001');

      const byHeader = echo(await viaHost(3000, c.sessionId, '/h', { headers: { 'x-preview-token': token, cookie: 'app=1' } }));
      expect(byHeader.headers['x-preview-token']).toBeUndefined();
      expect(byHeader.headers.cookie).toBe('app=1');

      const link = await viaHost(3000, c.sessionId, `/page?a=1&preview_token=${token}`);
      expect(link.status).toBe(302);
      expect(link.headers.location).toBe('/page?a=1');
      expect(link.headers['set-cookie']).toEqual([`sandbox_preview_token=${token}; Path=/; HttpOnly; SameSite=Lax`]);
      const pathLink = await call(app.port, `/previews/${c.sessionId}/page?preview_token=${token}`);
      expect(pathLink.headers.location).toBe(`/previews/${c.sessionId}/page`);
      expect(pathLink.headers['set-cookie']).toEqual([`sandbox_preview_token=${token}; Path=/previews/${c.sessionId}; HttpOnly; SameSite=Lax`]);

      const byCookie = echo(await viaHost(3000, c.sessionId, '/h', { headers: { cookie: `app=1; sandbox_preview_token=${token}` } }));
      expect(byCookie.headers.cookie).toBe('app=1');
      const byQueryPost = echo(await viaHost(3000, c.sessionId, `/form?preview_token=${token}&b=2`, { method: 'POST', body: 'x=1' }));
      expect(byQueryPost).toMatchObject({ url: '/form?b=2', body: { text: 'x=1' } });
    });

    it('should stop accepting a revoked token and keep the port private', async () => {
      const c = await sandbox();
      await c.serve(3000);
      await register(c.sessionId, { port: 3000 });
      const token = await issue(c.sessionId, 3000);
      expect(echo(await viaHost(3000, c.sessionId, '/', { headers: { 'x-preview-token': token } })).name).toBe(c.sessionId);
      const revoked = await call(app.port, `${ManagerRoutes.preview(c.sessionId, 3000)}/token`, { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
      expect(revoked.json()).toEqual({ sessionId: c.sessionId, port: 3000, revoked: true });
      expect((await viaHost(3000, c.sessionId, '/', { headers: { 'x-preview-token': token } })).status).toBe(401);
      expect((await viaHost(3000, c.sessionId, '/')).status).toBe(401);
      const rotated = await issue(c.sessionId, 3000);
      expect((await viaHost(3000, c.sessionId, '/', { headers: { 'x-preview-token': token } })).status).toBe(401);
      expect(echo(await viaHost(3000, c.sessionId, '/', { headers: { 'x-preview-token': rotated } })).name).toBe(c.sessionId);
    });

    it('should make a private port public again, its token then no longer needed nor honoured as a secret', async () => {
      const c = await sandbox();
      await c.serve(3000);
      await register(c.sessionId, { port: 3000 });
      await issue(c.sessionId, 3000);
      expect((await viaHost(3000, c.sessionId, '/')).status).toBe(401);
      const listed = await call(app.port, ManagerRoutes.previews(c.sessionId), { headers: { 'x-internal-service-key': KEY } });
      expect(listed.json()).toMatchObject({ previews: [{ port: 3000, private: true }] });
      const opened = await call(app.port, ManagerRoutes.previewPrivate(c.sessionId, 3000), { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
      expect(opened.json()).toEqual({ sessionId: c.sessionId, port: 3000, private: false });
      expect(echo(await viaHost(3000, c.sessionId, '/')).name).toBe(c.sessionId);
      const after = await call(app.port, ManagerRoutes.previews(c.sessionId), { headers: { 'x-internal-service-key': KEY } });
      expect(after.json()).toMatchObject({ previews: [{ port: 3000, private: false }] });
      const unknown = await call(app.port, ManagerRoutes.previewPrivate(c.sessionId, 3999), { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
      expect(unknown.status).toBe(404);
    });

    it('should require the token on WebSocket upgrades too', async () => {
      const c = await sandbox();
      await c.serve(3000);
      await register(c.sessionId, { port: 3000 });
      const token = await issue(c.sessionId, 3000);
      const refused = await new Promise<number>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${app.port}/ws`, { headers: { host: hostOf(3000, c.sessionId) } });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('error', () => undefined);
      });
      expect(refused).toBe(401);
      for (const headers of [{ 'x-preview-token': token }, { cookie: `sandbox_preview_token=${token}` }]) {
        const hello = await new Promise<{ headers: Record<string, string> }>((resolve, reject) => {
          const socket = new WebSocket(`ws://127.0.0.1:${app.port}/ws`, { headers: { host: hostOf(3000, c.sessionId), ...headers } });
          socket.once('message', (data) => {
            resolve(JSON.parse((data as Buffer).toString()) as { headers: Record<string, string> });
            socket.close();
          });
          socket.once('error', reject);
        });
        expect(hello.headers['x-preview-token']).toBeUndefined();
        expect(hello.headers.cookie).toBeUndefined();
      }
    });
  });

  describe('lifecycle', () => {
    it('should drop a session’s registrations when the session stops or is deleted', async () => {
      const events = app.app.get(SessionEvents);
      for (const type of ['stopped', 'deleted'] as const) {
        const c = await sandbox();
        await c.serve(3000);
        await register(c.sessionId, { port: 3000 });
        expect(echo(await call(app.port, `/previews/${c.sessionId}/`)).name).toBe(c.sessionId);
        events.emitLifecycle({ type, sessionId: c.sessionId });
        expect((await call(app.port, `/previews/${c.sessionId}/`)).json()).toEqual({ statusCode: 404, message: PreviewErrors.noPort(c.sessionId) });
        const list = await call(app.port, ManagerRoutes.previews(c.sessionId), { headers: { 'x-internal-service-key': KEY } });
        expect(list.json()).toEqual({ sessionId: c.sessionId, previews: [] });
      }
    });

    it('should restore registrations and private tokens after a manager restart', async () => {
      const c = await sandbox();
      await c.serve(3000);
      await register(c.sessionId, { port: 3000 });
      const token = (await call(app.port, `${ManagerRoutes.preview(c.sessionId, 3000)}/token`, { method: 'POST', headers: { 'x-internal-service-key': KEY } })).json<{ token: string }>().token;
      await app.close();
      app = await boot();
      const list = await call(app.port, ManagerRoutes.previews(c.sessionId), { headers: { 'x-internal-service-key': KEY } });
      expect(list.json()).toEqual({ sessionId: c.sessionId, previews: [expect.objectContaining({ port: 3000 })] });
      expect((await viaHost(3000, c.sessionId, '/')).status).toBe(401);
      expect(echo(await viaHost(3000, c.sessionId, '/', { headers: { 'x-preview-token': token } })).name).toBe(c.sessionId);
      expect(echo(await call(app.port, `/previews/${b.sessionId}/`)).name).toBe('b-3000');
    }, 60_000);
  });

  describe('failures', () => {
    it('should answer 502 with the exact message when nothing listens on the registered port', async () => {
      expect((await register(b.sessionId, { port: 4999 })).status).toBe(201);
      expect((await viaHost(4999, b.sessionId, '/')).json()).toEqual({ statusCode: 502, message: PreviewErrors.upstreamFailed });
      await call(app.port, ManagerRoutes.preview(b.sessionId, 4999), { method: 'DELETE', headers: { 'x-internal-service-key': KEY } });
    });

    it('should answer the exact 500 messages when a registered container stops or disappears', async () => {
      const c = await sandbox();
      await c.serve(3000);
      await register(c.sessionId, { port: 3000 });
      expect(echo(await call(app.port, `/previews/${c.sessionId}/`)).name).toBe(c.sessionId);
      await c.stop();
      expect((await call(app.port, `/previews/${c.sessionId}/`)).json()).toEqual({ statusCode: 500, message: PreviewErrors.containerNotRunning(c.sessionId) });
      await c.remove();
      const gone = await eventually(
        () => call(app.port, `/previews/${c.sessionId}/`),
        (reply) => reply.json<{ message: string }>().message !== PreviewErrors.containerNotRunning(c.sessionId),
      );
      expect(gone.json()).toEqual({ statusCode: 500, message: PreviewErrors.containerNotFound(c.sessionId, 'no such container') });
    });

    it('should cut the client off when the upstream resets mid-response, and keep serving', async () => {
      await expect(download(app.port, `/previews/${a.sessionId}/reset`)).rejects.toThrow();
      expect(echo(await call(app.port, `/previews/${a.sessionId}/after-reset`)).name).toBe('a-3001');
    });

    it('should close the upstream request when the client aborts', async () => {
      const stats = async () => (await call(app.port, `/previews/${b.sessionId}/stats`)).json<{ hangOpened: number; hangClosed: number }>();
      const before = await stats();
      const { request } = await import('node:http');
      const req = request({ host: '127.0.0.1', port: app.port, path: `/previews/${b.sessionId}/hang`, agent: false });
      req.on('error', () => undefined);
      req.end();
      await eventually(stats, (now) => now.hangOpened > before.hangOpened);
      req.destroy();
      const after = await eventually(stats, (now) => now.hangClosed > before.hangClosed);
      expect(after.hangClosed).toBe(before.hangClosed + 1);
    });
  });
});
