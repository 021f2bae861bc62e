import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { freePort, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';
import { TasksResolver } from '../src/modules/tasks/tasks.resolver';
import { gql, startGateway, TestGateway } from './support/gateway';

/**
 * Tasks and jobs through the gateway's GraphQL, against the real worker-service process (from dist)
 * on the real Redis: the mappings of docs/api.md, per-owner isolation and the worker error mapping.
 */
describe(TasksResolver.name, () => {
  let worker: ServiceProcess;
  let gateway: TestGateway;
  let alice: { key: string; userId: string };
  let bob: { key: string; userId: string };

  beforeAll(async () => {
    const port = await freePort();
    worker = spawnService('worker-service', {
      PORT: String(port),
      REDIS_URL: requireStackVar('REDIS_URL'),
      INTERNAL_SERVICE_KEY: requireStackVar('INTERNAL_SERVICE_KEY'),
      WORKER_QUEUE_PREFIX: `gw-tasks-${randomUUID().slice(0, 8)}`,
      TASK_BACKOFF_MS: '100',
    });
    await waitForHealthy(worker);
    gateway = await startGateway({ WORKER_SERVICE_URL: worker.url });
    alice = await gateway.newUser();
    bob = await gateway.newUser();
  });

  afterAll(async () => {
    await gateway?.close();
    await worker?.stop();
  });

  const TASK_FIELDS = 'id type payload priority status rawStatus attempts maxAttempts result error';
  const createTask = (key: string, input: Record<string, unknown>) =>
    gql<{ createTask: Record<string, unknown> }>(gateway, key, `mutation($input: CreateTaskInput!) { createTask(input: $input) { ${TASK_FIELDS} } }`, { input });
  const getTask = (key: string, taskId: string) =>
    gql<{ task: Record<string, unknown> | null }>(gateway, key, `query($id: String!) { task(taskId: $id) { ${TASK_FIELDS} } }`, { id: taskId });

  async function waitForStatus(key: string, taskId: string, status: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const { data } = await getTask(key, taskId);
      if (data?.task?.status === status) return data.task;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`task ${taskId} never reached ${status}`);
  }

  it('should create a task with the priority mapping and run it to COMPLETED', async () => {
    const created = await createTask(alice.key, { type: 'system.noop', payload: { durationMs: 10 }, priority: 'HIGH' });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createTask).toMatchObject({ type: 'system.noop', priority: 'HIGH', payload: { durationMs: 10 } });
    expect(['PENDING', 'IN_PROGRESS', 'COMPLETED']).toContain(created.data?.createTask.status);
    const done = await waitForStatus(alice.key, String(created.data?.createTask.id), 'COMPLETED');
    expect(done).toMatchObject({ rawStatus: 'completed', result: { ok: true, durationMs: 10 } });
  });

  it("should hide one owner's task from another, as not found", async () => {
    const { data } = await createTask(alice.key, { type: 'system.noop', payload: {}, priority: 'LOW' });
    const id = String(data?.createTask.id);
    const seenByBob = await getTask(bob.key, id);
    expect(seenByBob.data?.task).toBeNull();
    expect(seenByBob.errors?.[0]).toMatchObject({ message: 'Task not found', extensions: { code: 'NOT_FOUND' } });
    const cancelByBob = await gql(gateway, bob.key, 'mutation($id: String!) { cancelTask(taskId: $id) { id } }', { id });
    expect(cancelByBob.errors?.[0]?.message).toBe('Task not found');
    const bobsList = await gql<{ tasks: { total: number; tasks: { id: string }[] } }>(gateway, bob.key, '{ tasks { total tasks { id } } }');
    expect(bobsList.data?.tasks.tasks.map((task) => task.id)).not.toContain(id);
  });

  it('should filter tasks by public status with a correct total', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(String((await createTask(bob.key, { type: 'system.noop', payload: {}, priority: 'NORMAL' })).data?.createTask.id));
    for (const id of ids) await waitForStatus(bob.key, id, 'COMPLETED');
    const page = await gql<{ tasks: { total: number; tasks: { id: string; status: string }[] } }>(
      gateway,
      bob.key,
      '{ tasks(status: COMPLETED, type: "system.noop", limit: 2) { total tasks { id status } } }',
    );
    expect(page.errors).toBeUndefined();
    expect(page.data?.tasks.total).toBeGreaterThanOrEqual(3);
    expect(page.data?.tasks.tasks).toHaveLength(2);
    expect(page.data?.tasks.tasks.every((task) => task.status === 'COMPLETED')).toBe(true);
  });

  it("should cancel a running task and show it FAILED with raw status 'cancelled'", async () => {
    const { data } = await createTask(alice.key, { type: 'system.noop', payload: { durationMs: 60_000 }, priority: 'HIGH' });
    const id = String(data?.createTask.id);
    await waitForStatus(alice.key, id, 'IN_PROGRESS');
    const cancelled = await gql<{ cancelTask: { status: string; rawStatus: string } }>(gateway, alice.key, 'mutation($id: String!) { cancelTask(taskId: $id) { status rawStatus } }', { id });
    expect(cancelled.errors).toBeUndefined();
    await waitForStatus(alice.key, id, 'FAILED').then((task) => expect(task.rawStatus).toBe('cancelled'));
  });

  it("should refuse a task or job aimed at another owner's session, as not found, and create nothing", async () => {
    const bobsSession = await gateway.insertSession((await gateway.newUser()).userId, 'ACTIVE');
    const before = await gql<{ tasks: { total: number } }>(gateway, alice.key, '{ tasks { total } }');
    const task = await createTask(alice.key, { type: 'sandbox.exec', payload: { sessionId: bobsSession, command: 'id' }, priority: 'HIGH' });
    expect(task.errors?.[0]).toMatchObject({ message: `Session ${bobsSession} not found`, extensions: { code: 'NOT_FOUND' } });
    const job = await gql(gateway, alice.key, 'mutation($input: CreateJobInput!) { createJob(input: $input) { id } }', {
      input: { name: 'steal', type: 'sandbox.checkpoint', payload: { sessionId: bobsSession }, cron: '* * * * *' },
    });
    expect(job.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const after = await gql<{ tasks: { total: number } }>(gateway, alice.key, '{ tasks { total } }');
    expect(after.data?.tasks.total).toBe(before.data?.tasks.total);
  });

  it("should accept a task aimed at one of the caller's own sessions", async () => {
    const own = await gateway.insertSession(alice.userId, 'ACTIVE');
    const result = await createTask(alice.key, { type: 'sandbox.checkpoint', payload: { sessionId: own }, priority: 'LOW', maxAttempts: 1 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createTask).toMatchObject({ type: 'sandbox.checkpoint', payload: { sessionId: own } });
  });

  it('should reserve platform-wide maintenance tasks for the operator', async () => {
    const result = await createTask(alice.key, { type: 'sessions.stop-idle', payload: { idleMinutes: 1 }, priority: 'LOW' });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("should pass the worker's validation message through for an unknown task type", async () => {
    const result = await createTask(alice.key, { type: 'no.such.type', payload: {}, priority: 'LOW' });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(result.errors?.[0]?.message).toContain('sandbox.exec');
  });

  it('should create, pause, resume and delete a cron job with the status mapping', async () => {
    const created = await gql<{ createJob: { id: string; status: string; timezone: string } }>(
      gateway,
      alice.key,
      'mutation($input: CreateJobInput!) { createJob(input: $input) { id status timezone } }',
      { input: { name: 'nightly', type: 'system.noop', payload: {}, cron: '0 3 * * *', timezone: 'Europe/Paris' } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createJob).toMatchObject({ status: 'ACTIVE', timezone: 'Europe/Paris' });
    const id = created.data!.createJob.id;
    const call = (mutation: string) => gql<Record<string, { status: string }>>(gateway, alice.key, `mutation($id: String!) { ${mutation}(jobId: $id) { status } }`, { id });
    expect((await call('pauseJob')).data?.pauseJob.status).toBe('PAUSED');
    expect((await call('resumeJob')).data?.resumeJob.status).toBe('ACTIVE');
    expect((await gql(gateway, bob.key, 'mutation($id: String!) { pauseJob(jobId: $id) { status } }', { id })).errors?.[0]?.message).toBe('Job not found');
    const listed = await gql<{ jobs: { id: string }[] }>(gateway, alice.key, '{ jobs { id } }');
    expect(listed.data?.jobs.map((job) => job.id)).toContain(id);
    expect((await gql(gateway, alice.key, 'mutation($id: String!) { deleteJob(jobId: $id) }', { id })).data).toEqual({ deleteJob: true });
    expect((await gql(gateway, alice.key, 'query($id: String!) { job(jobId: $id) { id } }', { id })).errors?.[0]).toMatchObject({ message: 'Job not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('should reject an invalid cron expression with the worker message', async () => {
    const result = await gql(gateway, alice.key, 'mutation($input: CreateJobInput!) { createJob(input: $input) { id } }', {
      input: { name: 'bad', type: 'system.noop', cron: 'every tuesday' },
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('should stream a task\'s events over graphql-ws until COMPLETE', async () => {
    const { data } = await createTask(alice.key, { type: 'system.noop', payload: { durationMs: 200 }, priority: 'NORMAL' });
    const id = String(data?.createTask.id);
    const client = createClient({ url: `${gateway.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice.key}` }, retryAttempts: 0 });
    try {
      const types: string[] = [];
      const subscription = client.iterate<{ taskEvents: { type: string; taskId: string } }>({ query: 'subscription($id: String!) { taskEvents(taskId: $id) { type taskId message } }', variables: { id } });
      for await (const next of subscription) {
        expect(next.errors).toBeUndefined();
        types.push(next.data!.taskEvents.type);
        if (['COMPLETE', 'ERROR'].includes(next.data!.taskEvents.type)) break;
      }
      expect(types.at(-1)).toBe('COMPLETE');
    } finally {
      await client.dispose();
    }
  });

  it('should answer SERVICE_UNAVAILABLE with the documented message when the worker is down, without hanging', async () => {
    const offline = await startGateway({ WORKER_SERVICE_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const user = await offline.newUser();
      const result = await gql(offline, user.key, '{ tasks { total } }');
      expect(result.errors?.[0]).toMatchObject({ message: 'Worker Service is unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      await offline.close();
    }
  });
});
