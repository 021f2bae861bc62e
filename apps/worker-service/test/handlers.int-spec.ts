import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { ExecResult, SandboxSession, SandboxStatus, TaskEventType, TaskStatus, TaskType } from '@sandbox/contracts';
import { deleteRedisPrefix, requireStackVar } from '@sandbox/testing';
import { HandlerRegistry } from '../src/modules/handlers/handler.registry';
import { TASK_QUEUE } from '../src/modules/tasks/task-queue.repository';
import { FakeContainerManager, internalKey, readEvents, startWorker, TestWorker, uniquePrefix, waitFor } from './worker-test-kit';

/** Session ids are UUIDs everywhere (libs/contracts validation). */
const OK = '00000000-0000-4000-8000-00000000000a';
const FLAKY = '00000000-0000-4000-8000-00000000000b';
const MISSING = '00000000-0000-4000-8000-00000000000c';
const execResult = (stdout: string, exitCode = 0): ExecResult => ({ exitCode, stdout, stderr: '', timedOut: false, durationMs: 12, truncated: false });
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const session = (sessionId: string, status: SandboxStatus, lastActivityAt: string | null): SandboxSession => ({
  sessionId,
  status,
  template: 'base',
  image: 'sandbox-base:local',
  containerId: `c-${sessionId}`,
  containerName: `sandbox-session-${sessionId}`,
  cpu: 1,
  memoryMb: 512,
  diskMb: null,
  lifecycle: { idleTimeoutMs: 0, pausedStopMs: 0, maxLifetimeMs: 0 },
  startedAt: null,
  pausedAt: null,
  errorReason: null,
  lastActivityAt,
  createdAt: minutesAgo(600),
  updatedAt: minutesAgo(600),
});

async function listen(handler: (status: (code: number) => void) => number): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(handler(() => undefined));
    res.end('preview');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe(HandlerRegistry.name, () => {
  const prefix = uniquePrefix('handlers');
  let manager: FakeContainerManager;
  let worker: TestWorker;
  let flakyCalls = 0;
  let healthy: { server: Server; port: number };
  let broken: { server: Server; port: number };
  let closedPort: number;

  beforeAll(async () => {
    healthy = await listen(() => 200);
    broken = await listen(() => 502);
    const closed = await listen(() => 200);
    closedPort = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    manager = await new FakeContainerManager((call) => {
      const s = '/api/internal/sessions';
      if (call.method === 'POST' && call.path === `${s}/${OK}/exec`) return { status: 200, body: execResult(`ran ${JSON.stringify((call.body as { command: unknown }).command)}`) };
      if (call.method === 'POST' && call.path === `${s}/${FLAKY}/exec`) return ++flakyCalls <= 2 ? { status: 503, body: { statusCode: 503, message: 'busy' } } : { status: 200, body: execResult('finally') };
      if (call.method === 'POST' && call.path === `${s}/${OK}/git/commit`) {
        return { status: 201, body: { id: 'cp1', sessionId: OK, commitHash: 'a'.repeat(40), filesChanged: 2, messageNumber: null, description: (call.body as { description: string }).description, createdAt: new Date().toISOString() } };
      }
      if (call.method === 'GET' && call.path === s) {
        return {
          status: 200,
          body: {
            sessions: [
              session('idle-1', SandboxStatus.Running, minutesAgo(45)),
              session('idle-2', SandboxStatus.Running, null), // never used: its last change counts
              session('busy', SandboxStatus.Running, minutesAgo(2)),
              session('stopped', SandboxStatus.Stopped, minutesAgo(300)),
              session('racing', SandboxStatus.Running, minutesAgo(90)),
            ],
          },
        };
      }
      if (call.method === 'POST' && call.path === `${s}/racing/stop`) return { status: 409, body: { statusCode: 409, message: 'already stopped' } };
      if (call.method === 'POST' && /\/stop$/.test(call.path)) return { status: 200, body: {} };
      if (call.method === 'GET' && call.path === `${s}/${OK}/previews`) {
        return {
          status: 200,
          body: {
            sessionId: OK,
            previews: [
              { sessionId: OK, port: 3000, registered: true, url: `http://3000-${OK}.preview.localhost:${healthy.port}/` },
              { sessionId: OK, port: 5173, registered: true, url: `http://127.0.0.1:${broken.port}/` },
              { sessionId: OK, port: 8080, registered: true, url: `http://127.0.0.1:${closedPort}/` },
            ],
          },
        };
      }
      return undefined;
    }).start();
    worker = await startWorker(prefix, { WORKER_CONCURRENCY: '2', CONTAINER_MANAGER_URL: manager.url, TASK_BACKOFF_MS: '600' });
  });

  afterAll(async () => {
    await worker.close();
    await manager.stop();
    healthy.server.close();
    broken.server.close();
    await deleteRedisPrefix(prefix);
  });

  const finished = (id: string) => waitFor(() => worker.client.getTask(id), (t) => [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled].includes(t.status));

  it('should run sandbox.exec through the container-manager with the internal key and store the result', async () => {
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId: OK, command: ['echo', 'hi'], timeoutMs: 5_000 }, priority: 10 });
    const done = await finished(task.id);
    expect(done).toMatchObject({ status: TaskStatus.Completed, attempts: 1, result: { sessionId: OK, exitCode: 0, stdout: 'ran ["echo","hi"]' } });
    const calls = manager.callsTo('POST', `/api/internal/sessions/${OK}/exec`);
    expect(calls.at(-1)).toMatchObject({ body: { command: ['echo', 'hi'], timeoutMs: 5_000 }, key: internalKey() });
  });

  it('should not run a command again when its task is delivered again after completing', async () => {
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId: OK, command: 'echo once' }, priority: 5 });
    await finished(task.id);
    const before = manager.callsTo('POST', `/api/internal/sessions/${OK}/exec`).length;
    // Redeliver it exactly as BullMQ would after a crash between the handler and the acknowledgement.
    const queue = new Queue(TASK_QUEUE, { connection: { url: requireStackVar('REDIS_URL') }, prefix });
    await queue.add('task', { taskId: task.id }, { jobId: task.id, priority: 1 });
    await waitFor(() => queue.getJobCounts('wait', 'active', 'prioritized'), (c) => c.wait + c.active + c.prioritized === 0);
    await queue.close();
    expect(manager.callsTo('POST', `/api/internal/sessions/${OK}/exec`)).toHaveLength(before);
    const { events } = await readEvents(worker.url, task.id);
    expect(events.filter((e) => e.type === TaskEventType.Complete)).toHaveLength(1);
  });

  it('should retry with backoff through the retrying status and then complete', async () => {
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId: FLAKY, command: 'true' }, priority: 5, maxAttempts: 4 });
    await waitFor(() => worker.client.getTask(task.id), (t) => t.status === TaskStatus.Retrying, 10_000, 20);
    const done = await finished(task.id);
    expect(done).toMatchObject({ status: TaskStatus.Completed, attempts: 3, error: null, result: { stdout: 'finally' } });
    const { events } = await readEvents(worker.url, task.id);
    expect(events.filter((e) => e.type === TaskEventType.Log && /retrying in/.test(e.message)).map((e) => e.message)).toEqual([
      expect.stringContaining('retrying in 600 ms'),
      expect.stringContaining('retrying in 1200 ms'),
    ]);
  });

  it('should fail at once, without retries, when the session does not exist', async () => {
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId: MISSING, command: 'ls' }, priority: 5, maxAttempts: 5 });
    const done = await finished(task.id);
    expect(done.status).toBe(TaskStatus.Failed);
    expect(done.attempts).toBe(1);
    expect(done.error).toContain('exec:');
    expect(manager.callsTo('POST', `/api/internal/sessions/${MISSING}/exec`)).toHaveLength(1);
    const { events } = await readEvents(worker.url, task.id);
    expect(events.at(-1)).toMatchObject({ type: TaskEventType.Error, message: done.error });
  });

  it('should take a checkpoint of a session with sandbox.checkpoint', async () => {
    const task = await worker.client.createTask({ type: TaskType.SandboxCheckpoint, payload: { sessionId: OK, description: 'nightly' }, priority: 5 });
    const done = await finished(task.id);
    expect(done).toMatchObject({ status: TaskStatus.Completed, result: { sessionId: OK, checkpoint: { commitHash: 'a'.repeat(40), description: 'nightly' } } });
    expect(manager.callsTo('POST', `/api/internal/sessions/${OK}/git/commit`)).toHaveLength(1);
  });

  it('should stop only the running sessions idle longer than idleMinutes, once each', async () => {
    const task = await worker.client.createTask({ type: TaskType.SessionsStopIdle, payload: { idleMinutes: 30 }, priority: 5 });
    const done = await finished(task.id);
    expect(done.status).toBe(TaskStatus.Completed);
    expect(done.result).toMatchObject({ idleMinutes: 30, checked: 5, failed: [] });
    expect((done.result as { stopped: string[] }).stopped.sort()).toEqual(['idle-1', 'idle-2', 'racing']);
    expect(manager.callsTo('POST', /\/stop$/).map((c) => c.path.split('/')[4]).sort()).toEqual(['idle-1', 'idle-2', 'racing']);
    const { events } = await readEvents(worker.url, task.id);
    expect(events.filter((e) => e.type === TaskEventType.Progress).map((e) => e.progress)).toEqual([33, 67, 100]);
  });

  it('should probe every registered preview port and store a status per port', async () => {
    const task = await worker.client.createTask({ type: TaskType.PreviewsCheck, payload: { sessionId: OK, timeoutMs: 1_000 }, priority: 5 });
    const done = await finished(task.id);
    expect(done.status).toBe(TaskStatus.Completed);
    const result = done.result as { healthy: boolean; previews: { port: number; reachable: boolean; healthy: boolean; statusCode: number | null; error: string | null }[] };
    expect(result.healthy).toBe(false);
    expect(result.previews).toEqual([
      expect.objectContaining({ port: 3000, reachable: true, healthy: true, statusCode: 200, error: null }),
      expect.objectContaining({ port: 5173, reachable: true, healthy: false, statusCode: 502 }),
      expect.objectContaining({ port: 8080, reachable: false, healthy: false, statusCode: null, error: expect.any(String) }),
    ]);
  });
});
