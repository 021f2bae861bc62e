import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';

/**
 * The three services as real processes from dist/, wired to each other and to the real PostgreSQL,
 * Redis and Docker engine, exactly as `npm start` runs them.
 */
describe('platform boot', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'platform-boot-'));
  const key = 'platform-boot-key-0123456789';
  let ports: Record<'gateway' | 'worker' | 'manager', number>;
  let env: Record<string, string>;
  let gateway: ServiceProcess;
  let worker: ServiceProcess;
  let manager: ServiceProcess;

  beforeAll(async () => {
    ports = { gateway: await freePort(), worker: await freePort(), manager: await freePort() };
    env = {
      INTERNAL_SERVICE_KEY: key,
      DATABASE_URL: requireStackVar('TEST_DATABASE_URL'),
      REDIS_URL: requireStackVar('REDIS_URL'),
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      WORKER_QUEUE_PREFIX: `boot-${process.pid}`,
      API_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
      WORKER_SERVICE_URL: `http://127.0.0.1:${ports.worker}`,
      CONTAINER_MANAGER_URL: `http://127.0.0.1:${ports.manager}`,
    };
    manager = spawnService('container-manager', { ...env, PORT: String(ports.manager) });
    worker = spawnService('worker-service', { ...env, PORT: String(ports.worker) });
    gateway = spawnService('api-gateway', { ...env, PORT: String(ports.gateway) });
    await Promise.all([waitForHealthy(manager), waitForHealthy(worker), waitForHealthy(gateway)]);
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop(), manager?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['worker', 'manager', 'gateway'] as const)('should answer GET /health on the %s with status ok and a timestamp', async (which) => {
    const response = await fetch(`http://127.0.0.1:${ports[which]}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; timestamp: string };
    expect(body.status).toBe('ok');
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  });

  it('should serve the OpenAPI document at /docs on every service', async () => {
    for (const port of Object.values(ports)) {
      const response = await fetch(`http://127.0.0.1:${port}/docs-json`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    }
  });

  it('should expose Prometheus metrics with request timings by route on every service', async () => {
    for (const port of Object.values(ports)) {
      await fetch(`http://127.0.0.1:${port}/health`);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*status="200"/);
    }
  });

  it('should echo a caller request id and make one up otherwise', async () => {
    const echoed = await fetch(`${worker.url}/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-42');
    const fresh = await fetch(`${worker.url}/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['gateway internal route', 'gateway', '/api/internal/git-checkpoints'],
    ['gateway GraphQL', 'gateway', '/graphql'],
    ['worker task creation', 'worker', '/api/tasks'],
    ['manager session creation', 'manager', '/api/internal/sessions'],
  ] as const)('should answer an oversized JSON body on the %s with 413 and keep serving', async (_label, which, path) => {
    // The gateway accepts JSON up to 16 MiB (writeFile carries file content); the others the default 100 kB.
    const body = JSON.stringify({ padding: 'x'.repeat((which === 'gateway' ? 17 : 2) * 1024 * 1024) });
    const response = await fetch(`http://127.0.0.1:${ports[which]}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-service-key': key, authorization: 'Bearer not-a-key' },
      body,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ statusCode: 413, message: expect.stringMatching(/too large/i) });
    expect((await fetch(`http://127.0.0.1:${ports[which]}/health`)).status).toBe(200);
  });

  it.each(['gateway', 'worker', 'manager'] as const)('should answer malformed JSON on the %s with 400, not 500', async (which) => {
    const path = { gateway: '/api/internal/git-checkpoints', worker: '/api/tasks', manager: '/api/internal/sessions' }[which];
    const response = await fetch(`http://127.0.0.1:${ports[which]}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-service-key': key },
      body: '{"sessionId": ',
    });
    expect(response.status).toBe(400);
  });

  it.each([
    ['gateway internal route', 'gateway', '/api/internal/git-checkpoints'],
    ['gateway GraphQL', 'gateway', '/graphql'],
    ['worker task creation', 'worker', '/api/tasks'],
    ['manager session creation', 'manager', '/api/internal/sessions'],
  ] as const)('should answer a JSON body nested thousands of levels deep on the %s with 400 and keep serving', async (_label, which, path) => {
    // Within every service's size limit, so the depth rule (64 levels), not the size, answers.
    for (const body of ['['.repeat(40_000) + ']'.repeat(40_000), '{"a":'.repeat(16_000) + '1' + '}'.repeat(16_000)]) {
      const response = await fetch(`http://127.0.0.1:${ports[which]}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-service-key': key, authorization: 'Bearer not-a-key' },
        body,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ statusCode: 400, message: expect.stringMatching(/nested too deeply/) });
    }
    expect((await fetch(`http://127.0.0.1:${ports[which]}/health`)).status).toBe(200);
  });

  it.each([
    ['worker task listing', 'worker', '/api/tasks'],
    ['manager checkpoint listing', 'manager', '/api/internal/sessions/00000000-0000-4000-8000-000000000000/git/checkpoints'],
  ] as const)('should answer out-of-range limit and offset on the %s with 400 naming the bound', async (_label, which, path) => {
    for (const [query, message] of [
      ['offset=99999999999999999999', /offset must be an integer between 0 and 1000000/],
      ['offset=-1', /offset must be an integer between 0 and 1000000/],
      ['limit=1e9', /limit must be an integer between 1 and 100/],
      ['limit=x', /limit must be an integer between 1 and 100/],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${ports[which]}${path}?${query}`, { headers: { 'x-internal-service-key': key } });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toMatch(message);
    }
  });

  it('should answer a GraphQL document with 1,000 aliases with one 400 naming the alias limit', async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-key' },
      body: JSON.stringify({ query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: sessions { total }`).join(' ')} }` }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message).toMatch(/Aliases limit of \d+ exceeded, found 1000/);
  });

  it('should report the worker down in the gateway health with 503, and recover when it is back', async () => {
    // Nest's shutdown hooks close the app, then re-raise the signal: a clean stop ends by SIGTERM.
    expect([0, 'SIGTERM']).toContain(await worker.stop('SIGTERM'));
    const down = await fetch(`${gateway.url}/health`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { status: string; error: Record<string, unknown> };
    expect(body.status).toBe('error');
    expect(Object.keys(body.error)).toContain('worker');

    worker = spawnService('worker-service', { ...env, PORT: String(ports.worker) });
    await waitForHealthy(worker);
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
  });
});

describe('config validation at boot', () => {
  it.each([
    ['worker-service', 'PORT', { PORT: 'abc', REDIS_URL: 'redis://127.0.0.1:1', INTERNAL_SERVICE_KEY: 'a-valid-internal-key-123' }],
    ['worker-service', 'REDIS_URL', { PORT: '4999', REDIS_URL: 'http://not-redis', INTERNAL_SERVICE_KEY: 'a-valid-internal-key-123' }],
    ['api-gateway', 'DATABASE_URL', { PORT: '4998', INTERNAL_SERVICE_KEY: 'a-valid-internal-key-123' }],
    ['container-manager', 'INTERNAL_SERVICE_KEY', { PORT: '4997', INTERNAL_SERVICE_KEY: 'short', DATA_DIR: '/tmp' }],
  ] as const)('should stop %s with a message naming %s', async (name, variable, env) => {
    const service = spawnService(name, { ...env });
    const code = await new Promise<number | null>((resolve) => service.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(service.output()).toMatch(new RegExp(`failed to start: Invalid environment configuration:[\\s\\S]*- ${variable}: `));
  });
});
