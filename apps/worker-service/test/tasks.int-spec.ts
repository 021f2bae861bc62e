import { request } from 'undici';
import { ServiceBadRequestError, ServiceNotFoundError } from '@sandbox/clients';
import { INTERNAL_KEY_HEADER, Task, TaskEventType, TaskStatus, TaskType, WorkerErrors } from '@sandbox/contracts';
import { deleteRedisPrefix } from '@sandbox/testing';
import { TasksController } from '../src/modules/tasks/tasks.controller';
import { internalKey, readEvents, startWorker, TestWorker, uniquePrefix, useWorker, waitFor } from './worker-test-kit';

const noop = (durationMs = 0, priority: 1 | 5 | 10 = 5) => ({ type: TaskType.SystemNoop, payload: durationMs ? { durationMs } : {}, priority });

describe(TasksController.name, () => {
  describe('REST surface', () => {
    const worker = useWorker('tasks-rest', { WORKER_CONCURRENCY: '2' });

    it('should answer /health with status ok, a timestamp and redis up', async () => {
      const res = await request(`${worker.url}/health`);
      const body = (await res.body.json()) as { status: string; timestamp: string; info: Record<string, { status: string }> };
      expect(res.statusCode).toBe(200);
      expect(body.status).toBe('ok');
      expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
      expect(body.info.redis.status).toBe('up');
    });

    it.each([
      ['GET', '/api/tasks', undefined],
      ['POST', '/api/tasks', 'wrong-key-0123456789abcdef'],
      ['GET', '/api/jobs', undefined],
      ['POST', '/api/tasks/x/cancel', 'wrong-key-0123456789abcdef'],
    ])('should refuse %s %s without the right internal key', async (method, path, key) => {
      const res = await request(`${worker.url}${path}`, { method: method as 'GET', headers: key ? { [INTERNAL_KEY_HEADER]: key } : {} });
      expect(res.statusCode).toBe(403);
      expect(await res.body.json()).toEqual({ statusCode: 403, message: 'Forbidden' });
    });

    it('should refuse an unknown type with a 400 that lists the known types', async () => {
      const error = await worker.client.createTask({ type: 'nope.nothing', payload: {}, priority: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceBadRequestError);
      const message = (error as Error).message;
      expect(message).toContain("Unknown task type 'nope.nothing'");
      for (const type of [TaskType.SandboxExec, TaskType.SandboxCheckpoint, TaskType.SessionsStopIdle, TaskType.PreviewsCheck]) expect(message).toContain(type);
    });

    it('should refuse a priority other than 1, 5 or 10', async () => {
      const res = await request(`${worker.url}/api/tasks`, {
        method: 'POST',
        headers: { [INTERNAL_KEY_HEADER]: internalKey(), 'content-type': 'application/json' },
        body: JSON.stringify({ type: TaskType.SystemNoop, payload: {}, priority: 3 }),
      });
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(await res.body.json())).toContain('priority must be one of 1, 5, 10');
    });

    it('should refuse an oversized payload with a 400 that says so', async () => {
      const error = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId: 's1', command: 'x'.repeat(70 * 1024) }, priority: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceBadRequestError);
      expect((error as Error).message).toMatch(/payload is too large: \d+ bytes of JSON, at most 65536 allowed/);
    });

    it('should refuse a payload that does not fit the type', async () => {
      const error = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { command: 'ls', extra: 1 }, priority: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceBadRequestError);
      expect((error as Error).message).toContain("Invalid payload for task type 'sandbox.exec'");
      expect((error as Error).message).toContain('payload.sessionId');
      expect((error as Error).message).toContain('payload.extra');
    });

    it('should refuse an exec payload beyond the limits the container-manager applies', async () => {
      const sessionId = '00000000-0000-4000-8000-000000000001';
      for (const payload of [{ sessionId: 's1', command: 'ls' }, { sessionId, command: 'ls', timeoutMs: 600_001 }, { sessionId, command: 'ls', env: { 'BAD-NAME': 'x' } }]) {
        const error = await worker.client.createTask({ type: TaskType.SandboxExec, payload, priority: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ServiceBadRequestError);
        expect((error as Error).message).toContain("Invalid payload for task type 'sandbox.exec'");
      }
    });

    it('should answer Task not found for an unknown id on get, cancel and events', async () => {
      for (const call of [() => worker.client.getTask('missing'), () => worker.client.cancelTask('missing')]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ServiceNotFoundError);
        expect((error as Error).message).toBe(WorkerErrors.taskNotFound);
      }
      const res = await request(`${worker.url}/api/tasks/missing/events`, { headers: { [INTERNAL_KEY_HEADER]: internalKey() } });
      expect(res.statusCode).toBe(404);
      expect(await res.body.json()).toEqual({ statusCode: 404, message: WorkerErrors.taskNotFound });
    });

    it('should run a task to completed and replay its events over SSE ending with COMPLETE', async () => {
      const created = await worker.client.createTask(noop(50));
      expect(created).toMatchObject({ type: TaskType.SystemNoop, priority: 5, status: TaskStatus.Pending, attempts: 0, maxAttempts: 3, result: null });
      // Opened while the task runs: the stream must follow it live to the end.
      const stream = await readEvents(worker.url, created.id);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain('text/event-stream');
      expect(stream.events.at(-1)).toMatchObject({ type: TaskEventType.Complete, sseEvent: 'COMPLETE', taskId: created.id });
      const task = await worker.client.getTask(created.id);
      expect(task).toMatchObject({ status: TaskStatus.Completed, attempts: 1, result: { ok: true, durationMs: 50 }, error: null });
      expect(task.startedAt).not.toBeNull();
      expect(task.finishedAt).not.toBeNull();
      const replay = await readEvents(worker.url, created.id);
      expect(replay.events.map((e) => e.type)).toEqual(stream.events.map((e) => e.type));
    });
  });

  describe('queue behaviour', () => {
    const prefix = uniquePrefix('tasks-queue');
    let api: TestWorker;
    let processor: TestWorker | null = null;

    beforeAll(async () => {
      api = await startWorker(prefix, { WORKER_CONCURRENCY: '0' }); // an API-only replica: tasks wait
    });

    afterEach(async () => {
      await processor?.close();
      processor = null;
      await deleteRedisPrefix(prefix);
    });

    afterAll(async () => {
      await api.close();
      await deleteRedisPrefix(prefix);
    });

    it('should list by status and type with a correct total, newest first, paged', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await api.client.createTask(noop())).id);
      for (let i = 0; i < 2; i++) ids.push((await api.client.createTask({ type: TaskType.SessionsStopIdle, payload: { idleMinutes: 5 }, priority: 1 })).id);
      await api.client.cancelTask(ids[0]);

      const all = await api.client.listTasks();
      expect(all.total).toBe(5);
      expect(all.tasks.map((t) => t.id)).toEqual([...ids].reverse());
      expect(await api.client.listTasks({ type: TaskType.SessionsStopIdle })).toMatchObject({ total: 2 });
      const pending = await api.client.listTasks({ status: TaskStatus.Pending });
      expect(pending.total).toBe(4);
      expect(pending.tasks.every((t) => t.status === TaskStatus.Pending)).toBe(true);
      expect(await api.client.listTasks({ status: TaskStatus.Cancelled, type: TaskType.SystemNoop })).toMatchObject({ total: 1, tasks: [{ id: ids[0] }] });
      expect(await api.client.listTasks({ status: TaskStatus.Cancelled, type: TaskType.SessionsStopIdle })).toEqual({ total: 0, tasks: [] });
      // Several statuses at once (the gateway's FAILED is failed + cancelled).
      expect(await api.client.listTasks({ status: 'pending,cancelled' as TaskStatus, type: TaskType.SystemNoop })).toMatchObject({ total: 3 });
      expect(await api.client.listTasks({ status: 'failed,cancelled' as TaskStatus })).toMatchObject({ total: 1, tasks: [{ id: ids[0] }] });
      const bad = await api.client.listTasks({ status: 'pending,nope' as TaskStatus }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ServiceBadRequestError);
      expect((bad as Error).message).toContain('status must be one or more (comma-separated) of pending, processing');
      const page = await api.client.listTasks({ limit: 2, offset: 3 });
      expect(page.total).toBe(5);
      expect(page.tasks.map((t) => t.id)).toEqual([ids[1], ids[0]]);
    });

    it('should cancel a waiting task at once so that it never runs', async () => {
      const task = await api.client.createTask(noop());
      const cancelled = await api.client.cancelTask(task.id);
      expect(cancelled).toMatchObject({ status: TaskStatus.Cancelled, error: 'Cancelled' });
      expect(await api.client.cancelTask(task.id)).toMatchObject({ status: TaskStatus.Cancelled });
      processor = await startWorker(prefix, { WORKER_CONCURRENCY: '1' });
      const witness = await api.client.createTask(noop());
      await waitFor(() => api.client.getTask(witness.id), (t) => t.status === TaskStatus.Completed);
      const after = await api.client.getTask(task.id);
      expect(after).toMatchObject({ status: TaskStatus.Cancelled, attempts: 0, startedAt: null });
      const { events } = await readEvents(api.url, task.id);
      expect(events.map((e) => `${e.type}:${e.message}`)).toEqual(['ERROR:Task cancelled']);
    });

    it('should run HIGH before NORMAL before LOW when they wait together', async () => {
      const created: Task[] = [];
      for (const priority of [1, 1, 5, 10, 5, 10] as const) created.push(await api.client.createTask(noop(5, priority)));
      processor = await startWorker(prefix, { WORKER_CONCURRENCY: '1' });
      const done = await waitFor(
        () => api.client.listTasks({ status: TaskStatus.Completed }),
        (page) => page.total === created.length,
      );
      const order = [...done.tasks].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!) || 0);
      expect(order.map((t) => t.priority)).toEqual([10, 10, 5, 5, 1, 1]);
      // Within one priority, first come first served.
      expect(order.filter((t) => t.priority === 1).map((t) => t.id)).toEqual([created[0].id, created[1].id]);
    });

    it('should cancel a task running on another replica through its abort signal', async () => {
      processor = await startWorker(prefix, { WORKER_CONCURRENCY: '1' });
      const task = await api.client.createTask(noop(60_000));
      await waitFor(() => api.client.getTask(task.id), (t) => t.status === TaskStatus.Processing);
      const events = readEvents(api.url, task.id);
      const cancelled = await api.client.cancelTask(task.id); // answered by the API-only replica
      expect(cancelled.status).toBe(TaskStatus.Cancelled);
      expect((await events).events.at(-1)).toMatchObject({ type: TaskEventType.Error, message: 'Task cancelled' });
      // The only slot is free again well before the 60 s the handler would have slept.
      const next = await api.client.createTask(noop());
      await waitFor(() => api.client.getTask(next.id), (t) => t.status === TaskStatus.Completed, 10_000);
      expect(await api.client.getTask(task.id)).toMatchObject({ status: TaskStatus.Cancelled, result: null });
    });

    it('should keep only the newest finished tasks beyond the retention count', async () => {
      processor = await startWorker(prefix, { WORKER_CONCURRENCY: '1', TASK_RETENTION_COUNT: '3' });
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await api.client.createTask(noop())).id);
      await waitFor(() => api.client.getTask(ids[5]), (t) => t.status === TaskStatus.Completed);
      const page = await waitFor(() => api.client.listTasks(), (p) => p.total === 3);
      expect(page.tasks.map((t) => t.id).sort()).toEqual(ids.slice(3).sort());
      expect(await api.client.getTask(ids[0]).catch((e: unknown) => e)).toBeInstanceOf(ServiceNotFoundError);
      expect(await api.client.listTasks({ status: TaskStatus.Completed, type: TaskType.SystemNoop })).toMatchObject({ total: 3 });
    });
  });
});
