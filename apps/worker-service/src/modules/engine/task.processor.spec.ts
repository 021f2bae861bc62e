import { UnrecoverableError } from 'bullmq';
import { Task, TaskStatus } from '@sandbox/contracts';
import type { WorkerConfig } from '../../config/worker-config';
import { HandlerRegistry } from '../handlers/handler.registry';
import { PermanentTaskError, TaskContext, TaskHandler } from '../handlers/task-handler';
import type { JobsService } from '../jobs/jobs.service';
import { QueueJob, QueueJobName, TaskQueueRepository } from '../tasks/task-queue.repository';
import type { TaskRepository, TransitionChange, TransitionResult } from '../tasks/task.repository';
import { TaskProcessor } from './task.processor';

const CONFIG: Partial<WorkerConfig> = { taskBackoffMs: 100, taskRetentionCount: 1_000, taskRetentionMs: 3_600_000, concurrency: 0 };

/** The record store as the engine sees it: it records the changes asked for and answers the start. */
class FakeTaskRepository {
  readonly changes: TransitionChange[] = [];
  status = TaskStatus.Processing;

  constructor(private readonly started: TransitionResult) {}

  transition(_id: string, change: TransitionChange): Promise<TransitionResult> {
    this.changes.push(change);
    if (change.countAttempt) return Promise.resolve(this.started);
    return Promise.resolve({ applied: true, previous: TaskStatus.Processing, finishedCount: 1, task: null });
  }

  find(id: string): Promise<Partial<Task>> {
    return Promise.resolve({ id, status: this.status });
  }

  appendEvent(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

const taskAt = (attempts: number, maxAttempts = 3): Task => ({
  id: 'task-1',
  type: 'test.handler',
  payload: {},
  priority: 5,
  status: TaskStatus.Processing,
  attempts,
  maxAttempts,
  result: null,
  error: null,
  ownerId: null,
  jobId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
});

function processorWith(started: TransitionResult, run: (context: TaskContext) => Promise<unknown>) {
  const tasks = new FakeTaskRepository(started);
  const handler: TaskHandler = { type: 'test.handler', parse: (payload) => payload, run: (_payload, context) => run(context) };
  const config = CONFIG as WorkerConfig;
  const queue = { runLockKey: (id: string) => `lock:${id}` } as unknown as TaskQueueRepository;
  const jobs = { recordRun: () => Promise.resolve() } as unknown as JobsService;
  const processor = new TaskProcessor(queue, tasks as unknown as TaskRepository, new HandlerRegistry([handler]), jobs, config);
  const job = { id: 'task-1', name: QueueJobName.Task, data: { taskId: 'task-1' }, attemptsStarted: 1, attemptsMade: 0, timestamp: 0 } as unknown as QueueJob;
  return { tasks, process: () => processor.process(job, new AbortController().signal), onStalled: () => processor.onStalled('task-1') };
}

const startedAt = (attempts: number, maxAttempts = 3): TransitionResult => ({ applied: true, previous: TaskStatus.Pending, finishedCount: 0, task: taskAt(attempts, maxAttempts) });

describe(TaskProcessor.name, () => {
  it('should count the run when it starts and complete it keyed by that run', async () => {
    const { tasks, process } = processorWith(startedAt(2), async (context) => ({ attempt: context.attempt }));
    await process();
    expect(tasks.changes[0]).toMatchObject({ to: TaskStatus.Processing, countAttempt: true });
    expect(tasks.changes[1]).toMatchObject({ from: [TaskStatus.Processing], to: TaskStatus.Completed, run: 2, fields: { result: { attempt: 2 } } });
  });

  it('should put a failed run with attempts left back to retrying, keyed by its run, and let the queue retry it', async () => {
    const { tasks, process } = processorWith(startedAt(1), () => Promise.reject(new Error('flaky')));
    await expect(process()).rejects.toThrow('flaky');
    expect(tasks.changes[1]).toMatchObject({ to: TaskStatus.Retrying, run: 1, fields: { error: 'flaky' } });
    expect(tasks.changes[1].event?.message).toBe('attempt 1 failed: flaky; retrying in 100 ms');
  });

  it('should fail the task for good on its last attempt', async () => {
    const { tasks, process } = processorWith(startedAt(3), () => Promise.reject(new Error('still broken')));
    await expect(process()).rejects.toBeInstanceOf(UnrecoverableError);
    expect(tasks.changes[1]).toMatchObject({ to: TaskStatus.Failed, run: 3, fields: { error: 'still broken' } });
  });

  it('should fail at once on a permanent error, attempts left or not', async () => {
    const { tasks, process } = processorWith(startedAt(1), () => Promise.reject(new PermanentTaskError('Session not found')));
    await expect(process()).rejects.toBeInstanceOf(UnrecoverableError);
    expect(tasks.changes[1]).toMatchObject({ to: TaskStatus.Failed, run: 1, fields: { error: 'Session not found' } });
  });

  it('should record nothing more for a run that fails after the task was cancelled', async () => {
    const { tasks, process } = processorWith(startedAt(1), () => {
      tasks.status = TaskStatus.Cancelled;
      return Promise.reject(new Error('Task cancelled'));
    });
    await expect(process()).rejects.toBeInstanceOf(UnrecoverableError);
    expect(tasks.changes).toHaveLength(1);
  });

  it('should fail without running a task delivered again after all its attempts were started', async () => {
    const run = jest.fn();
    const { tasks, process } = processorWith({ applied: false, current: TaskStatus.Retrying, attemptsUsedUp: { attempts: 3, maxAttempts: 3 } }, run);
    await expect(process()).rejects.toBeInstanceOf(UnrecoverableError);
    expect(run).not.toHaveBeenCalled();
    expect(tasks.changes[1]).toMatchObject({ to: TaskStatus.Failed, fields: { error: 'The worker running attempt 3 of 3 stopped before it finished; no attempts left' } });
  });

  it('should do nothing for a task that finished or was cancelled before this delivery started', async () => {
    const run = jest.fn();
    const { tasks, process } = processorWith({ applied: false, current: TaskStatus.Completed }, run);
    await expect(process()).resolves.toBeNull();
    expect(run).not.toHaveBeenCalled();
    expect(tasks.changes).toHaveLength(1);
  });

  it('should move a stalled task back to retrying only while no run holds its queue lock', async () => {
    const { tasks, onStalled } = processorWith(startedAt(1), () => Promise.resolve(null));
    await onStalled();
    expect(tasks.changes[0]).toMatchObject({ from: [TaskStatus.Processing], to: TaskStatus.Retrying, unlessKeyExists: 'lock:task-1' });
  });
});
