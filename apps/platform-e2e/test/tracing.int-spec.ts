import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';

/** A span as OTLP/HTTP JSON carries it, with its service name from the resource. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[] }[];
  }[];
}

/** A real OTLP/HTTP receiver: POST /v1/traces with JSON bodies (what @opentelemetry/exporter-trace-otlp-http sends). */
async function startCollector(): Promise<{ server: Server; url: string; spans: ReceivedSpan[]; contentTypes: Set<string> }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.add(String(req.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const attributes = Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
            spans.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId, name: span.name, attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, contentTypes };
}

async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, attempts = 300, delayMs = 100): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    value = await read();
  }
  return value;
}

/**
 * Traces across services: the gateway and the manager as real processes from dist/ with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a receiver in this test.
 */
describe('OpenTelemetry traces across the services', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracing-'));
  const internalKey = `trace-internal-${randomBytes(12).toString('hex')}`;
  const devApiKey = `sk_dev_${randomBytes(24).toString('hex')}`;
  const managerId = `trace-${randomUUID().slice(0, 8)}`;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gateway: ServiceProcess;
  let manager: ServiceProcess;
  let worker: ServiceProcess;

  const logs = () => [gateway, worker, manager].map((s) => `--- ${s?.name}\n${s?.output().slice(-3000)}`).join('\n');

  async function graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${devApiKey}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}\n${logs()}`);
    return body.data as T;
  }

  beforeAll(async () => {
    collector = await startCollector();
    const ports = { gateway: await freePort(), manager: await freePort(), worker: await freePort() };
    const env = {
      INTERNAL_SERVICE_KEY: internalKey,
      DATABASE_URL: requireStackVar('TEST_DATABASE_URL'),
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      SANDBOX_MANAGER_ID: managerId,
      API_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
      REDIS_URL: requireStackVar('REDIS_URL'),
      WORKER_QUEUE_PREFIX: `trace-e2e-${managerId}`,
      WORKER_SERVICE_URL: `http://127.0.0.1:${ports.worker}`,
      CONTAINER_MANAGER_URL: `http://127.0.0.1:${ports.manager}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      // Export each batch at once rather than every 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    manager = spawnService('container-manager', { ...env, PORT: String(ports.manager), OUTBOX_BACKOFF_BASE_MS: '100', OUTBOX_POLL_MS: '100' });
    worker = spawnService('worker-service', { ...env, PORT: String(ports.worker) });
    gateway = spawnService('api-gateway', { ...env, PORT: String(ports.gateway), DEV_API_KEY: devApiKey });
    await Promise.all([waitForHealthy(manager, 60_000), waitForHealthy(worker), waitForHealthy(gateway)]);
  }, 120_000);

  afterAll(async () => {
    for (const name of execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `label=sandbox.manager-id=${managerId}`]).toString().split('\n').filter(Boolean)) {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    }
    await Promise.all([gateway?.stop(), worker?.stop(), manager?.stop()]);
    await new Promise<void>((resolve) => collector?.server.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should put one GraphQL exec in one trace with gateway spans (HTTP, GraphQL, PostgreSQL) and manager spans, and carry the trace through the outbox', async () => {
    const { createSession } = await graphql<{ createSession: { id: string } }>('mutation { createSession(input: { template: "base" }) { id } }');
    const sessionId = createSession.id;
    try {
      const active = await eventually(
        async () => (await graphql<{ session: { status: string } }>('query($id: ID!) { session(id: $id) { status } }', { id: sessionId })).session.status,
        (status) => status !== 'PENDING',
      );
      expect(active).toBe('ACTIVE');
      const marker = `trace-${randomBytes(4).toString('hex')}`;
      const { exec } = await graphql<{ exec: { stdout: string } }>('mutation($id: ID!, $cmd: String!) { exec(sessionId: $id, input: { command: $cmd }) { stdout } }', { id: sessionId, cmd: `echo ${marker}` });
      expect(exec.stdout.trim()).toBe(marker);

      // The manager's server span of the exec route names the trace; the gateway's spans must share it.
      const path = (span: ReceivedSpan) => (typeof span.attributes['url.path'] === 'string' ? span.attributes['url.path'] : '');
      const isManagerExec = (span: ReceivedSpan) => span.service === 'container-manager' && span.name === 'POST /api/internal/sessions/:id/exec';
      const [managerExec] = await eventually(() => collector.spans.filter(isManagerExec), (found) => found.length > 0);
      if (!managerExec) throw new Error(`no manager exec span among ${collector.spans.length} spans:\n${collector.spans.map((s) => `${s.service} ${s.name}`).join('\n')}\n${logs()}`);
      const inTrace = await eventually(
        () => collector.spans.filter((span) => span.traceId === managerExec.traceId),
        (spans) => spans.some((s) => s.service === 'api-gateway' && s.name === 'POST /graphql') && spans.some((s) => s.spanId === managerExec.parentSpanId),
      );
      const gatewaySpans = inTrace.filter((s) => s.service === 'api-gateway');
      expect(gatewaySpans.map((s) => s.name)).toEqual(expect.arrayContaining(['POST /graphql', 'mutation', 'graphql.resolve exec']));
      expect(gatewaySpans.some((s) => s.attributes['db.system.name'] === 'postgresql' || s.attributes['db.system'] === 'postgresql')).toBe(true);
      // The manager's server span is a child of the gateway's outgoing (undici) call: traceparent was carried.
      const outgoing = gatewaySpans.find((s) => s.spanId === managerExec.parentSpanId);
      expect(outgoing).toMatchObject({ name: 'POST', attributes: expect.objectContaining({ 'url.path': `/api/internal/sessions/${sessionId}/exec` }) });
      expect(inTrace.filter((s) => s.service === 'container-manager').length).toBeGreaterThan(1);
      expect(collector.contentTypes).toEqual(new Set(['application/json']));

      // The outbox row of session.started kept the trace of the create that caused it, and its delivery
      // (the gateway's /start) continued that trace.
      const [create] = collector.spans.filter((s) => s.service === 'container-manager' && s.name === 'POST /api/internal/sessions');
      expect(create).toBeDefined();
      const outbox = new Database(join(dataDir, 'manager', 'manager.sqlite'), { readonly: true });
      try {
        const row = outbox.prepare("SELECT traceparent FROM outbox WHERE session_id = ? AND type = 'session.started'").get(sessionId) as { traceparent: string | null };
        expect(row.traceparent).toMatch(new RegExp(`^00-${create.traceId}-[0-9a-f]{16}-01$`));
      } finally {
        outbox.close();
      }
      const [started] = await eventually(
        () => collector.spans.filter((s) => s.service === 'api-gateway' && s.name.startsWith('POST /api/internal/sessions/') && path(s).endsWith(`/${sessionId}/start`)),
        (found) => found.length > 0,
      );
      expect(started?.traceId).toBe(create.traceId);
    } finally {
      await graphql('mutation($id: ID!) { deleteSession(id: $id) }', { id: sessionId }).catch(() => undefined);
    }
  });
});
