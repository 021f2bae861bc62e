import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerClient } from '@sandbox/clients';
import { INTERNAL_KEY_HEADER, ManagerRoutes, TaskEvent } from '@sandbox/contracts';
import { deleteRedisPrefix, freePort, requireStackVar, RunningApp, ServiceProcess, spawnService, startTestApp, waitForHealthy } from '@sandbox/testing';
import { AppModule } from '../src/app.module';
import { WORKER_SERVICE } from '../src/service';

export const internalKey = (): string => requireStackVar('INTERNAL_SERVICE_KEY').split(',')[0].trim();

export function uniquePrefix(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/** Short timings so retries, stalls and recovery happen within a test's patience. */
export const FAST_ENV: Record<string, string> = {
  TASK_BACKOFF_MS: '50',
  WORKER_LOCK_DURATION_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_SHUTDOWN_GRACE_MS: '500',
  LOG_LEVEL: 'silent',
};

export interface TestWorker {
  app: RunningApp;
  url: string;
  client: WorkerClient;
  close(): Promise<void>;
}

/** Boots the real worker AppModule on a free port with its own key prefix. */
export async function startWorker(prefix: string, env: Record<string, string> = {}): Promise<TestWorker> {
  const app = await startTestApp(() => AppModule.forRoot(), WORKER_SERVICE, { ...FAST_ENV, WORKER_QUEUE_PREFIX: prefix, REDIS_URL: requireStackVar('REDIS_URL'), ...env });
  const client = new WorkerClient({ baseUrl: app.url, internalKey: internalKey(), timeoutMs: 10_000 });
  return {
    app,
    url: app.url,
    client,
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}

/**
 * Starts a worker with its own key prefix before the enclosing `describe`'s tests, and closes it and
 * deletes its keys after them. The answer reads through to that worker once it runs.
 */
export function useWorker(name: string, env: Record<string, string> = {}): Omit<TestWorker, 'close'> & { readonly prefix: string } {
  const prefix = uniquePrefix(name);
  let started: TestWorker | undefined;
  beforeAll(async () => {
    started = await startWorker(prefix, env);
  });
  afterAll(async () => {
    await started?.close();
    await deleteRedisPrefix(prefix);
  });
  const current = (): TestWorker => {
    if (!started) throw new Error(`the ${name} worker is not started yet`);
    return started;
  };
  return {
    prefix,
    get app() {
      return current().app;
    },
    get url() {
      return current().url;
    },
    get client() {
      return current().client;
    },
  };
}

/** Calls a service's REST route with the internal key; the body parsed when there is one. */
export async function callService<T>(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { [INTERNAL_KEY_HEADER]: internalKey(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * The real container-manager (from `dist`) with one session `sessionId` created, for handler tests
 * against a real sandbox. Its notifications to the gateway go nowhere (nobody listens on that port:
 * they wait in its outbox) and automatic checkpoints are off, so a checkpoint task is the one that commits.
 */
export async function startManagerWithSession(dataDir: string, managerId: string, sessionId: string): Promise<ServiceProcess> {
  const manager = spawnService('container-manager', {
    PORT: String(await freePort()),
    INTERNAL_SERVICE_KEY: internalKey(),
    DATA_DIR: dataDir,
    SANDBOX_TEST_LABEL: 'true',
    SANDBOX_MANAGER_ID: managerId,
    API_GATEWAY_URL: `http://127.0.0.1:${await freePort()}`,
    GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000',
    GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000',
  });
  await waitForHealthy(manager, 60_000);
  const created = await callService(manager.url, 'POST', ManagerRoutes.sessions, { sessionId });
  if (created.status !== 201) throw new Error(`session not created: ${created.status} ${JSON.stringify(created.body)}\n${manager.output()}`);
  return manager;
}

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await sleep(everyMs);
    last = await read();
  }
  return last;
}

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
  key: string | undefined;
}

export type FakeRoute = (call: RecordedCall) => { status: number; body?: unknown; delayMs?: number } | undefined;

/**
 * A real HTTP server that plays the container-manager's contract for handler tests: it records every
 * call and answers with `route`'s reply (404 for anything it does not know).
 */
export class FakeContainerManager {
  readonly calls: RecordedCall[] = [];
  private server: Server | null = null;
  url = '';

  constructor(public route: FakeRoute) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  callsTo(method: string, path: string | RegExp): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && (typeof path === 'string' ? call.path === path : path.test(call.path)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: RecordedCall = { method: req.method ?? 'GET', path: req.url ?? '/', body: text ? (JSON.parse(text) as unknown) : undefined, key: req.headers[INTERNAL_KEY_HEADER] as string | undefined };
    this.calls.push(call);
    const reply = this.route(call) ?? { status: 404, body: { statusCode: 404, message: 'Not found' } };
    if (reply.delayMs) await sleep(reply.delayMs);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Reads a task's SSE stream to its end (or `timeoutMs`) and returns the events. */
export async function readEvents(baseUrl: string, taskId: string, timeoutMs = 20_000, onOpen?: () => void): Promise<{ status: number; contentType: string | null; events: (TaskEvent & { sseEvent: string })[] }> {
  const response = await fetch(`${baseUrl}/api/tasks/${taskId}/events`, { headers: { [INTERNAL_KEY_HEADER]: internalKey() }, signal: AbortSignal.timeout(timeoutMs) });
  onOpen?.();
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const lines = block.split('\n');
      const sseEvent = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? '';
      const data = JSON.parse(lines.find((line) => line.startsWith('data: '))!.slice(6)) as TaskEvent;
      return { ...data, sseEvent };
    });
  return { status: response.status, contentType: response.headers.get('content-type'), events };
}
