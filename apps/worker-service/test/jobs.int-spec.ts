import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { ServiceBadRequestError, ServiceNotFoundError } from '@sandbox/clients';
import { JobStatus, TaskStatus, TaskType, WorkerErrors } from '@sandbox/contracts';
import { deleteRedisPrefix, requireStackVar } from '@sandbox/testing';
import { JobsController } from '../src/modules/jobs/jobs.controller';
import { TASK_QUEUE } from '../src/modules/tasks/task-queue.repository';
import { FakeContainerManager, startWorker, TestWorker, uniquePrefix, waitFor } from './worker-test-kit';

const EVERY_SECOND = '* * * * * *';

describe(JobsController.name, () => {
  const prefix = uniquePrefix('jobs');
  let manager: FakeContainerManager;
  let replicas: TestWorker[];
  let queue: Queue;

  beforeAll(async () => {
    manager = await new FakeContainerManager((call) => {
      if (call.method === 'GET' && call.path === '/api/internal/sessions') return { status: 200, body: { sessions: [] } };
      return undefined; // everything else: 404 (a missing session)
    }).start();
    const env = { WORKER_CONCURRENCY: '2', CONTAINER_MANAGER_URL: manager.url, JOB_MAX_CONSECUTIVE_FAILURES: '2' };
    replicas = [await startWorker(prefix, env), await startWorker(prefix, env)];
    queue = new Queue(TASK_QUEUE, { connection: { url: requireStackVar('REDIS_URL') }, prefix });
  });

  afterAll(async () => {
    await queue.close();
    for (const replica of replicas) await replica.close();
    await manager.stop();
    await deleteRedisPrefix(prefix);
  });

  const [a, b] = [() => replicas[0].client, () => replicas[1].client];
  const tasksOf = async (jobId: string) => (await a().listTasks({ limit: 100 })).tasks.filter((t) => t.jobId === jobId);

  it.each([
    [{ cron: 'every minute please' }, /Invalid cron expression 'every minute please'/],
    [{ cron: '61 * * * *' }, /Invalid cron expression '61 \* \* \* \*'/],
    [{ cron: '* * * * *', timezone: 'Mars/Olympus' }, /Invalid timezone 'Mars\/Olympus'/],
    [{ cron: '* * * * *', type: 'nope' }, /Unknown task type 'nope'. Known types: .*sandbox\.exec/],
    [{ cron: '* * * * *', payload: { idleMinutes: 0 } }, /Invalid payload for task type 'sessions.stop-idle'/],
  ])('should refuse %j with a 400', async (override, message) => {
    const error = await a()
      .createJob({ name: 'bad', type: TaskType.SessionsStopIdle, payload: {}, ...override })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceBadRequestError);
    expect((error as Error).message).toMatch(message);
  });

  it('should answer Job not found for an unknown id', async () => {
    for (const call of [() => a().getJob('nope'), () => a().pauseJob('nope'), () => a().resumeJob('nope'), () => a().deleteJob('nope')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceNotFoundError);
      expect((error as Error).message).toBe(WorkerErrors.jobNotFound);
    }
  });

  it('should compute the next run in the job timezone', async () => {
    const job = await a().createJob({ name: 'paris', type: TaskType.SessionsStopIdle, payload: {}, cron: '0 3 * * *', timezone: 'Europe/Paris', ownerId: 'owner-tz' });
    expect(job).toMatchObject({ status: JobStatus.Active, timezone: 'Europe/Paris', consecutiveFailures: 0, ownerId: 'owner-tz', lastRunAt: null });
    const hourInParis = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).format(new Date(job.nextRunAt!));
    expect(hourInParis).toBe('03');
    expect((await b().listJobs('owner-tz')).jobs.map((j) => j.id)).toEqual([job.id]);
    await a().deleteJob(job.id);
  });

  it('should create one task per tick with two replicas, stop on pause, restart on resume, and stop for good on delete', async () => {
    const createdAt = Date.now();
    const job = await a().createJob({ name: 'stop idle', type: TaskType.SessionsStopIdle, payload: { idleMinutes: 60 }, cron: EVERY_SECOND });
    await waitFor(() => tasksOf(job.id), (tasks) => tasks.filter((t) => t.status === TaskStatus.Completed).length >= 4, 15_000, 100);
    const paused = await b().pauseJob(job.id); // the other replica
    const elapsedSeconds = (Date.now() - createdAt) / 1000;
    expect(paused).toMatchObject({ status: JobStatus.Paused, nextRunAt: null });
    await sleep(300); // a tick already handed out at the moment of the pause may still finish
    const atPause = await tasksOf(job.id);
    // One tick per second, whichever replica took it: duplicates would double the count.
    expect(atPause.length).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    expect(new Set(atPause.map((t) => t.id)).size).toBe(atPause.length);
    expect(await a().getJob(job.id)).toMatchObject({ status: JobStatus.Paused, lastRunAt: expect.any(String) });
    expect(await queue.getJobScheduler(`cron-${job.id}`)).toBeUndefined();

    await sleep(2_200);
    expect(await tasksOf(job.id)).toHaveLength(atPause.length);

    const resumed = await a().resumeJob(job.id);
    expect(resumed).toMatchObject({ status: JobStatus.Active, nextRunAt: expect.any(String) });
    await waitFor(() => tasksOf(job.id), (tasks) => tasks.length >= atPause.length + 2, 10_000, 100);

    expect(await b().deleteJob(job.id)).toEqual({ id: job.id, deleted: true });
    expect(await a().getJob(job.id).catch((e: unknown) => e)).toBeInstanceOf(ServiceNotFoundError);
    expect(await queue.getJobScheduler(`cron-${job.id}`)).toBeUndefined();
    await sleep(300);
    const atDelete = (await tasksOf(job.id)).length;
    await sleep(2_200);
    expect(await tasksOf(job.id)).toHaveLength(atDelete);
    // Every run did its work exactly once: one listing of sessions per task.
    await waitFor(() => tasksOf(job.id), (tasks) => tasks.every((t) => t.status === TaskStatus.Completed));
    expect(manager.callsTo('GET', '/api/internal/sessions')).toHaveLength(atDelete);
  });

  it('should turn a job failed after the configured number of consecutive failed runs', async () => {
    const job = await a().createJob({ name: 'doomed', type: TaskType.SandboxExec, payload: { sessionId: '00000000-0000-4000-8000-0000000000ff', command: 'ls' }, cron: EVERY_SECOND });
    const failed = await waitFor(() => a().getJob(job.id), (j) => j.status === JobStatus.Failed, 15_000, 100);
    expect(failed).toMatchObject({ status: JobStatus.Failed, consecutiveFailures: 2, nextRunAt: null });
    expect(await queue.getJobScheduler(`cron-${job.id}`)).toBeUndefined();
    await sleep(300);
    const runs = (await tasksOf(job.id)).length;
    await sleep(2_200);
    expect(await tasksOf(job.id)).toHaveLength(runs);
    expect((await tasksOf(job.id)).every((t) => t.status === TaskStatus.Failed)).toBe(true);
    // Resume gives it a fresh start.
    expect(await a().resumeJob(job.id)).toMatchObject({ status: JobStatus.Active, consecutiveFailures: 0 });
    await a().deleteJob(job.id);
  });
});
