import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ServiceUnavailableError, WorkerClient } from '@sandbox/clients';
import { ErrorCode, ExecResult, ManagerRoutes, Task, TaskEventType, TaskStatus, TaskType, WorkerErrors } from '@sandbox/contracts';
import { deleteRedisPrefix, removeManagerContainers, REPO_ROOT, requireStackVar, ServiceProcess } from '@sandbox/testing';
import { TaskProcessor } from '../src/modules/engine/task.processor';
import { callService, internalKey, readEvents, startManagerWithSession, startWorker, TestWorker, uniquePrefix, waitFor } from './worker-test-kit';

const WORKER_MAIN = join(REPO_ROOT, 'dist/apps/worker-service/src/main.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the built worker as its own process (as in production) and waits until it answers /health. */
async function spawnWorker(prefix: string, redisUrl: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [WORKER_MAIN], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      REDIS_URL: redisUrl,
      INTERNAL_SERVICE_KEY: internalKey(),
      WORKER_QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: '4',
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '500',
      WORKER_MAX_STALLED_COUNT: '1000',
      TASK_BACKOFF_MS: '50',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
    const up = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (up) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('worker did not become healthy within 30 s');
    }
    await sleep(50);
  }
}

async function assertCompletedOnce(worker: TestWorker, tasks: Task[]): Promise<number> {
  let redelivered = 0;
  for (const task of tasks) {
    const final = await worker.client.getTask(task.id);
    expect(final).toMatchObject({ status: TaskStatus.Completed, result: { ok: true }, error: null });
    const { events } = await readEvents(worker.url, task.id);
    expect(events.filter((e) => e.type === TaskEventType.Complete)).toHaveLength(1);
    if (events.filter((e) => e.type === TaskEventType.Log && e.message.startsWith('attempt')).length > 1) redelivered++;
  }
  return redelivered;
}

describe(TaskProcessor.name, () => {
  describe('when its process is killed mid-task', () => {
    const prefix = uniquePrefix('faults-kill');
    let api: TestWorker;
    const children = new Set<ChildProcess>();

    beforeAll(async () => {
      if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: build first (node scripts/build.mjs; npm test does it)`);
      api = await startWorker(prefix, { WORKER_CONCURRENCY: '0' });
    });

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await api.close();
      await deleteRedisPrefix(prefix);
    });

    it('should complete every task exactly once across 20 SIGKILLs of the worker', async () => {
      const tasks: Task[] = [];
      // Every run started counts as an attempt, those cut short by a kill included: room for all of them.
      for (let i = 0; i < 20; i++) tasks.push(await api.client.createTask({ type: TaskType.SystemNoop, payload: { durationMs: 400 }, priority: 5, maxAttempts: 100 }));
      const started = Date.now();
      let kills = 0;
      while (kills < 20 && Date.now() - started < 120_000) {
        const child = await spawnWorker(prefix, requireStackVar('REDIS_URL'));
        children.add(child);
        await sleep(150 + ((kills * 97) % 400)); // land at varying points of the 400 ms tasks
        child.kill('SIGKILL');
        await exited(child);
        children.delete(child);
        kills++;
      }
      expect(kills).toBe(20);
      const survivor = await spawnWorker(prefix, requireStackVar('REDIS_URL'));
      children.add(survivor);
      await waitFor(() => api.client.listTasks({ status: TaskStatus.Completed }), (page) => page.total === tasks.length, 90_000, 200);
      survivor.kill('SIGTERM');
      await exited(survivor);
      const redelivered = await assertCompletedOnce(api, tasks);
      // The kills did land mid-task: some tasks ran more than once, and were still recorded once.
      expect(redelivered).toBeGreaterThan(0);
    }, 240_000);

    it('should fail a task whose last attempt was lost with its worker, without running it again', async () => {
      const task = await api.client.createTask({ type: TaskType.SystemNoop, payload: { durationMs: 60_000 }, priority: 10, maxAttempts: 1 });
      const child = await spawnWorker(prefix, requireStackVar('REDIS_URL'));
      children.add(child);
      await waitFor(() => api.client.getTask(task.id), (t) => t.status === TaskStatus.Processing, 20_000);
      child.kill('SIGKILL');
      await exited(child);
      children.delete(child);
      const survivor = await spawnWorker(prefix, requireStackVar('REDIS_URL'));
      children.add(survivor);
      const final = await waitFor(() => api.client.getTask(task.id), (t) => t.status === TaskStatus.Failed || t.status === TaskStatus.Completed, 30_000, 100);
      survivor.kill('SIGTERM');
      await exited(survivor);
      children.delete(survivor);
      expect(final).toMatchObject({ status: TaskStatus.Failed, attempts: 1, result: null, error: 'The worker running attempt 1 of 1 stopped before it finished; no attempts left' });
      const { events } = await readEvents(api.url, task.id);
      expect(events.filter((e) => e.type === TaskEventType.Log && e.message.startsWith('attempt')).map((e) => e.message)).toEqual(['attempt 1 started (delivery 1)']);
    }, 90_000);
  });

  describe('when its process is killed mid-command in a real sandbox', () => {
    const prefix = uniquePrefix('faults-exec');
    const dataDir = mkdtempSync(join(tmpdir(), 'faults-exec-manager-'));
    const managerId = `faults-${randomUUID().slice(0, 8)}`;
    const sessionId = randomUUID();
    const children = new Set<ChildProcess>();
    let manager: ServiceProcess;
    let api: TestWorker;

    const managerCall = <T>(method: string, path: string, body?: unknown) => callService<T>(manager.url, method, path, body);
    const shell = async (command: string): Promise<string> => (await managerCall<ExecResult>('POST', ManagerRoutes.exec(sessionId), { command })).body.stdout;

    beforeAll(async () => {
      if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: build first (node scripts/build.mjs; npm test does it)`);
      manager = await startManagerWithSession(dataDir, managerId, sessionId);
      api = await startWorker(prefix, { WORKER_CONCURRENCY: '0' });
    }, 120_000);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await api?.close();
      if (manager) await managerCall('DELETE', ManagerRoutes.session(sessionId)).catch(() => undefined);
      removeManagerContainers(managerId);
      await manager?.stop();
      await deleteRedisPrefix(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('should stop the interrupted command and count every run in attempts, so no run goes unseen', async () => {
      const count = 6;
      const env = { CONTAINER_MANAGER_URL: manager.url, WORKER_CONCURRENCY: String(count), WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };
      // Each run leaves a `start` line, and a `done` line only if its command runs to the end.
      const tasks: Task[] = [];
      for (let i = 0; i < count; i++) {
        const command = `mkdir -p runs; echo start >> runs/${i}.log; sleep 6; echo done >> runs/${i}.log`;
        tasks.push(await api.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId, command, timeoutMs: 60_000 }, priority: 5 }));
      }
      const first = await spawnWorker(prefix, requireStackVar('REDIS_URL'), env);
      children.add(first);
      // Every command is running in the sandbox (and none can have finished: each sleeps 6 s): kill the worker.
      await waitFor(() => shell('cat runs/*.log 2>/dev/null | grep -c start'), (out) => Number(out) === count, 30_000, 100);
      first.kill('SIGKILL');
      await exited(first);
      children.delete(first);
      const second = await spawnWorker(prefix, requireStackVar('REDIS_URL'), env);
      children.add(second);
      await waitFor(() => api.client.listTasks({ status: TaskStatus.Completed }), (page) => page.total === count, 90_000, 200);
      second.kill('SIGTERM');
      await exited(second);
      children.delete(second);
      // Let a command that survived its caller (the defect) reach its end before counting.
      await shell('sleep 7');
      for (const [i, task] of tasks.entries()) {
        const final = await api.client.getTask(task.id);
        const lines = (await shell(`cat runs/${i}.log`)).trim().split('\n');
        const runs = { started: lines.filter((l) => l === 'start').length, finished: lines.filter((l) => l === 'done').length };
        // Two runs started (the interrupted one and the retry), both counted; only the retry ran to the end.
        expect({ task: i, attempts: final.attempts, status: final.status, ...runs }).toEqual({ task: i, attempts: 2, status: TaskStatus.Completed, started: 2, finished: 1 });
      }
    }, 180_000);
  });

  describe('when Redis restarts', () => {
    const prefix = uniquePrefix('faults-redis');
    let dir: string;
    let port: number;
    let redis: ChildProcess | null = null;
    let worker: TestWorker | null = null;

    const startRedis = async (): Promise<ChildProcess> => {
      const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await waitFor(() => probe.connect().then(() => probe.ping(), () => 'down'), (reply) => reply === 'PONG', 10_000, 50);
      probe.disconnect();
      return child;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'worker-redis-'));
      port = await freePort();
      redis = await startRedis();
    });

    afterAll(async () => {
      await worker?.close();
      if (redis) {
        redis.kill('SIGKILL');
        await exited(redis);
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('should lose no task when Redis is killed and restarted mid-run', async () => {
      worker = await startWorker(prefix, { REDIS_URL: `redis://127.0.0.1:${port}`, WORKER_CONCURRENCY: '2' });
      const tasks: Task[] = [];
      for (let i = 0; i < 12; i++) tasks.push(await worker.client.createTask({ type: TaskType.SystemNoop, payload: { durationMs: 250 }, priority: 5 }));
      await waitFor(() => worker!.client.listTasks({ status: TaskStatus.Completed }), (page) => page.total >= 2, 20_000);
      redis!.kill('SIGKILL');
      await exited(redis!);
      await sleep(1_000);
      redis = await startRedis();
      await waitFor(() => worker!.client.listTasks({ status: TaskStatus.Completed }), (page) => page.total === tasks.length, 60_000, 200);
      await assertCompletedOnce(worker, tasks);
    }, 120_000);
  });

  describe('when the worker is down', () => {
    it('should give callers the 503 mapping at once instead of hanging', async () => {
      const client = new WorkerClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, internalKey: internalKey(), timeoutMs: 30_000 });
      const started = Date.now();
      const error = await client.listTasks().catch((e: unknown) => e);
      await client.close();
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ message: WorkerErrors.unavailable, code: ErrorCode.ServiceUnavailable, httpStatus: 503 });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
