import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { Task, TaskEventType, TaskStatus } from '@sandbox/contracts';
import { runWithRequestId } from '@sandbox/shared';
import { WorkerConfig } from '../../config/worker-config';
import { HandlerRegistry } from '../handlers/handler.registry';
import { PermanentTaskError, TaskContext } from '../handlers/task-handler';
import { JobsService } from '../jobs/jobs.service';
import { QueueJob, QueueJobName, TaskJobData, TaskQueueRepository, TickJobData } from '../tasks/task-queue.repository';
import { ATTEMPT_PLACEHOLDER, TaskRepository } from '../tasks/task.repository';

const NON_TERMINAL = [TaskStatus.Pending, TaskStatus.Processing, TaskStatus.Retrying] as const;
const PRUNE_EVERY_MS = 30_000;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 2_000);

/**
 * Runs queue entries: a tick creates its job's task; a task goes pending/retrying → processing →
 * completed | retrying | failed, each change conditional on the current status. Delivery is at least
 * once (a task whose process died runs again, and `attempts` counts every run started, that one
 * included), the recorded outcome exactly once.
 */
@Injectable()
export class TaskProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TaskProcessor.name);
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly queue: TaskQueueRepository,
    private readonly tasks: TaskRepository,
    private readonly handlers: HandlerRegistry,
    private readonly jobs: JobsService,
    private readonly config: WorkerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.startWorker((job, signal) => this.process(job, signal), {
      onFailed: (job, error, final) => this.onQueueFailure(job, error, final),
      onStalled: (jobId) => this.onStalled(jobId),
    });
    if (this.config.concurrency > 0) {
      this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
  }

  async process(job: QueueJob, signal: AbortSignal | undefined): Promise<unknown> {
    switch (job.name) {
      case QueueJobName.Tick:
        return this.jobs.onTick((job.data as TickJobData).jobId, job.id ?? `${job.timestamp}`);
      case QueueJobName.Task:
        return runWithRequestId(`task-${(job.data as TaskJobData).taskId}`, () => this.runTask(job, signal ?? new AbortController().signal));
    }
  }

  private async runTask(job: QueueJob, signal: AbortSignal): Promise<unknown> {
    const { taskId } = job.data as TaskJobData;
    // The run is counted before the handler starts, so one cut short by a dead worker still shows.
    const started = await this.tasks.transition(taskId, {
      from: NON_TERMINAL,
      to: TaskStatus.Processing,
      countAttempt: true,
      fields: { startedAt: new Date().toISOString(), error: null },
      event: { type: TaskEventType.Log, message: `attempt ${ATTEMPT_PLACEHOLDER} started (delivery ${job.attemptsStarted})` },
      returnTask: true,
    });
    if (!started.applied && started.attemptsUsedUp) return this.failUsedUp(taskId, started.attemptsUsedUp.maxAttempts);
    // Already finished (a redelivery after the result was recorded) or cancelled while waiting: done.
    if (!started.applied || !started.task) return null;
    const task = started.task;
    const attempt = task.attempts;
    const handler = this.handlers.get(task.type);
    try {
      const result = await handler.run(handler.parse(task.payload), this.contextFor(taskId, attempt, signal));
      const completed = await this.tasks.transition(taskId, {
        from: [TaskStatus.Processing],
        to: TaskStatus.Completed,
        run: attempt,
        fields: { result: result ?? null, finishedAt: new Date().toISOString() },
        event: { type: TaskEventType.Complete, message: 'Task completed', data: result ?? null },
      });
      if (completed.applied) await this.afterFinish(task, true, completed.finishedCount);
      return null;
    } catch (error) {
      await this.onHandlerError(task, attempt, job.attemptsMade, error);
    }
  }

  /**
   * A task delivered again after all its attempts have started (the last ones were lost with their
   * worker): it is failed without running again, so `maxAttempts` bounds the runs.
   */
  private async failUsedUp(taskId: string, maxAttempts: number): Promise<never> {
    const message = `The worker running attempt ${maxAttempts} of ${maxAttempts} stopped before it finished; no attempts left`;
    const failed = await this.tasks.transition(taskId, {
      from: NON_TERMINAL,
      to: TaskStatus.Failed,
      fields: { error: message, finishedAt: new Date().toISOString() },
      event: { type: TaskEventType.Error, message },
      returnTask: true,
    });
    if (failed.applied && failed.task) await this.afterFinish(failed.task, false, failed.finishedCount);
    this.logger.warn(`task ${taskId} failed: ${message}`);
    throw new UnrecoverableError(message);
  }

  /**
   * `attempt`: runs started, as counted in the record (runs lost with a dead worker included), which
   * decides whether another attempt is left. `failuresBefore`: failed runs BullMQ counted before this
   * one, which sets its backoff (a run lost with its worker adds no delay).
   */
  private async onHandlerError(task: Task, attempt: number, failuresBefore: number, error: unknown): Promise<never> {
    const message = messageOf(error);
    const current = await this.tasks.find(task.id);
    if (current?.status === TaskStatus.Cancelled) throw new UnrecoverableError('Task cancelled');
    // BullMQ's own limit (`attempts` = maxAttempts, counting failures only) is never the tighter one:
    // the decision to stop is made here, by throwing UnrecoverableError.
    const final = error instanceof PermanentTaskError || attempt >= task.maxAttempts;
    if (!final) {
      const delay = this.config.taskBackoffMs * 2 ** failuresBefore;
      await this.tasks.transition(task.id, {
        from: [TaskStatus.Processing],
        to: TaskStatus.Retrying,
        run: attempt,
        fields: { error: message },
        event: { type: TaskEventType.Log, message: `attempt ${attempt} failed: ${message}; retrying in ${delay} ms` },
      });
      throw error instanceof Error ? error : new Error(message);
    }
    const failed = await this.tasks.transition(task.id, {
      from: [TaskStatus.Processing],
      to: TaskStatus.Failed,
      run: attempt,
      fields: { error: message, finishedAt: new Date().toISOString() },
      event: { type: TaskEventType.Error, message },
    });
    if (failed.applied) await this.afterFinish(task, false, failed.finishedCount);
    this.logger.warn(`task ${task.id} (${task.type}) failed after ${attempt} attempt(s): ${message}`);
    throw new UnrecoverableError(message);
  }

  private contextFor(taskId: string, attempt: number, signal: AbortSignal): TaskContext {
    return {
      taskId,
      attempt,
      signal,
      log: async (message, data) => {
        await this.tasks.appendEvent(taskId, { type: TaskEventType.Log, message, data });
      },
      progress: async (percent, message) => {
        await this.tasks.appendEvent(taskId, { type: TaskEventType.Progress, message: message ?? `${percent}%`, progress: Math.max(0, Math.min(100, percent)) });
      },
      once: async <T>(step: string, run: () => Promise<T>): Promise<T> => {
        const stored = await this.tasks.stepResult(taskId, step);
        if (stored.found) return stored.value as T;
        const value = await run();
        await this.tasks.saveStep(taskId, step, value);
        return value;
      },
    };
  }

  /** BullMQ gave up without our processor recording it (e.g. stalled too many times). */
  private async onQueueFailure(job: QueueJob, error: Error, final: boolean): Promise<void> {
    if (job.name !== QueueJobName.Task || !final) return;
    const { taskId } = job.data as TaskJobData;
    const failed = await this.tasks.transition(taskId, {
      from: NON_TERMINAL,
      to: TaskStatus.Failed,
      fields: { error: messageOf(error), finishedAt: new Date().toISOString() },
      event: { type: TaskEventType.Error, message: messageOf(error) },
      returnTask: true,
    });
    if (failed.applied && failed.task) await this.afterFinish(failed.task, false, failed.finishedCount);
  }

  /**
   * The worker running this task died; BullMQ has put it back in the queue. The event does not say
   * which run stalled, and a new run may have started before it is handled: the change is refused
   * while a run holds the task's lock, so it only ever applies to the run that stalled.
   */
  async onStalled(jobId: string): Promise<void> {
    await this.tasks.transition(jobId, {
      from: [TaskStatus.Processing],
      to: TaskStatus.Retrying,
      unlessKeyExists: this.queue.runLockKey(jobId),
      event: { type: TaskEventType.Log, message: 'the worker running this task stopped; it will run again' },
    });
  }

  /** `finishedCount`: finished tasks stored, as counted by the terminal transition. */
  private async afterFinish(task: Task, succeeded: boolean, finishedCount: number): Promise<void> {
    if (task.jobId) await this.jobs.recordRun(task.jobId, succeeded);
    if (finishedCount > this.config.taskRetentionCount) await this.prune();
  }

  /** Bounded retention of finished tasks (count and age). */
  async prune(): Promise<void> {
    try {
      const olderThan = new Date(Date.now() - this.config.taskRetentionMs);
      const removed = await this.tasks.prune(this.config.taskRetentionCount, olderThan);
      if (removed > 0) this.logger.log(`pruned ${removed} finished task(s)`);
    } catch (error) {
      this.logger.warn(`pruning finished tasks failed: ${messageOf(error)}`);
    }
  }
}
