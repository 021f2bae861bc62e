import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { TaskPriorityValue } from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { RedisRepository } from '../redis/redis.repository';

export const TASK_QUEUE = 'tasks';

/** BullMQ job names: a task to run, or the tick of a cron job (which creates a task). */
export enum QueueJobName {
  Task = 'task',
  Tick = 'tick',
}

export interface TaskJobData {
  taskId: string;
}

export interface TickJobData {
  jobId: string;
}

export type QueueJob = Job<TaskJobData | TickJobData, unknown, QueueJobName>;
export type QueueProcessor = (job: QueueJob, signal: AbortSignal | undefined) => Promise<unknown>;

export interface QueueEventsHandlers {
  /** BullMQ gave up on a job (last attempt, unrecoverable, or stalled too often). */
  onFailed(job: QueueJob, error: Error, final: boolean): Promise<void>;
  /** A job whose worker died was put back in the queue. */
  onStalled(jobId: string): Promise<void>;
}

interface PendingEnqueue {
  job: Job;
  write: (string | number)[];
  resolve(written: unknown): void;
  reject(error: unknown): void;
}

/** BullMQ priorities run 1 first; ours run 10 (HIGH) first. */
export const bullPriorityOf = (priority: TaskPriorityValue): number => 11 - priority;

/**
 * Everything the worker does with BullMQ: enqueueing, removal, job schedulers, the worker itself, and
 * the cancel channel that reaches a task running on any replica.
 */
@Injectable()
export class TaskQueueRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(TaskQueueRepository.name);
  private worker: Worker<TaskJobData | TickJobData, unknown, QueueJobName> | null = null;
  private subscriber: Redis | null = null;
  private readonly cancelChannel: string;
  private pendingEnqueues: PendingEnqueue[] = [];

  constructor(
    @InjectQueue(TASK_QUEUE) private readonly queue: Queue,
    private readonly redis: RedisRepository,
    private readonly config: WorkerConfig,
  ) {
    this.cancelChannel = `${config.prefix}:w:cancel`;
    // Without a listener, connection errors (a Redis restart) would be printed raw on stderr.
    queue.on('error', (error: Error) => this.logger.warn(`queue: ${error.message}`));
  }

  /**
   * Adds the task's queue entry in one MULTI with `write` (the `EVAL` that stores the task record), on
   * the queue's own connection: no worker can take the entry before the record exists, and neither
   * exists without the other. Answers `write`'s reply. The entry's id is the task id, so a repeated
   * enqueue of a waiting or running task adds nothing.
   *
   * Enqueues made in the same turn of the event loop (concurrent requests) share one MULTI: one write
   * and one round trip for all of them, and one transaction object (cheap to fill, costly to create:
   * it copies every BullMQ script command of the connection).
   */
  enqueueTask(taskId: string, priority: TaskPriorityValue, attempts: number, write: (string | number)[]): Promise<unknown> {
    const opts = {
      jobId: taskId, // one queue entry per task, whatever happens to the caller
      priority: bullPriorityOf(priority),
      attempts,
      backoff: { type: 'exponential', delay: this.config.taskBackoffMs },
      removeOnComplete: true, // the task record is the history
      removeOnFail: true,
    };
    // As Queue.add builds it (the id is also the constructor's last argument: without it BullMQ numbers the entry).
    const job = new Job(this.queue, QueueJobName.Task, { taskId } satisfies TaskJobData, opts, taskId);
    return new Promise((resolve, reject) => {
      this.pendingEnqueues.push({ job, write, resolve, reject });
      if (this.pendingEnqueues.length === 1) setImmediate(() => void this.flushEnqueues());
    });
  }

  private async flushEnqueues(): Promise<void> {
    const batch = this.pendingEnqueues;
    this.pendingEnqueues = [];
    try {
      const multi = (await this.queue.backend.client).multi();
      const queued: PendingEnqueue[] = [];
      const added: Promise<unknown>[] = [];
      for (const entry of batch) {
        try {
          added.push(entry.job.addJob(multi)); // queues the add command synchronously; answered by EXEC
        } catch (error) {
          entry.reject(error);
          continue;
        }
        // Inside MULTI the order does not matter: both apply together, before any worker sees them.
        multi.runCommand('eval', entry.write);
        queued.push(entry);
      }
      if (queued.length === 0) return;
      const replies = (await multi.exec()) as [Error | null, unknown][] | null;
      await Promise.all(added);
      if (!replies) throw new Error('the enqueue transaction was aborted');
      queued.forEach((entry, index) => {
        const [addError] = replies[2 * index];
        const [writeError, written]: [Error | null, unknown] = replies[2 * index + 1];
        const error = addError ?? writeError;
        if (error) entry.reject(error);
        else entry.resolve(written);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  /** Removes a waiting or delayed entry; false when it is running (locked) or gone. */
  async remove(taskId: string): Promise<boolean> {
    try {
      return (await this.queue.remove(taskId)) === 1;
    } catch (error) {
      this.logger.debug(`task ${taskId} not removed from the queue: ${String(error)}`);
      return false;
    }
  }

  /** The key BullMQ holds while a run of the task is alive (set when a run starts, renewed while it lives). */
  runLockKey(taskId: string): string {
    return `${this.queue.toKey(taskId)}:lock`;
  }

  /** Asks whichever replica runs the task to abort it. */
  async signalCancel(taskId: string): Promise<void> {
    this.worker?.cancelJob(taskId, 'cancelled');
    await this.redis.client.publish(this.cancelChannel, taskId);
  }

  schedulerId(jobId: string): string {
    return `cron-${jobId}`;
  }

  /** One BullMQ job scheduler per cron job: Redis decides each tick once, whatever the replica count. */
  async upsertSchedule(jobId: string, pattern: string, tz: string): Promise<void> {
    await this.queue.upsertJobScheduler(this.schedulerId(jobId), { pattern, tz }, { name: QueueJobName.Tick, data: { jobId } satisfies TickJobData, opts: { removeOnComplete: true, removeOnFail: true } });
  }

  /** Removes the scheduler and its next (delayed) tick. */
  async removeSchedule(jobId: string): Promise<void> {
    await this.queue.removeJobScheduler(this.schedulerId(jobId));
  }

  async hasSchedule(jobId: string): Promise<boolean> {
    return (await this.queue.getJobScheduler(this.schedulerId(jobId))) !== undefined;
  }

  /** Starts processing in this process (no-op when WORKER_CONCURRENCY is 0). */
  async startWorker(processor: QueueProcessor, handlers: QueueEventsHandlers): Promise<void> {
    const concurrency = this.config.concurrency;
    if (concurrency === 0 || this.worker) return;
    const worker = new Worker<TaskJobData | TickJobData, unknown, QueueJobName>(TASK_QUEUE, (job, _token, signal) => processor(job, signal), {
      connection: { url: this.config.redisUrl, maxRetriesPerRequest: null },
      prefix: this.config.prefix,
      concurrency,
      lockDuration: this.config.lockDurationMs,
      stalledInterval: this.config.stalledIntervalMs,
      maxStalledCount: this.config.maxStalledCount,
    });
    worker.on('failed', (job, error) => {
      if (!job) return;
      const final = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(error.message);
      handlers.onFailed(job, error, final).catch((cause: unknown) => this.logger.error(`failed-job bookkeeping for ${job.id}: ${String(cause)}`));
    });
    worker.on('stalled', (jobId) => {
      handlers.onStalled(jobId).catch((cause: unknown) => this.logger.error(`stalled-job bookkeeping for ${jobId}: ${String(cause)}`));
    });
    worker.on('error', (error) => this.logger.warn(`worker: ${error.message}`));
    this.worker = worker;
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (_channel: string, taskId: string) => {
      worker.cancelJob(taskId, 'cancelled');
    });
    await this.subscriber.subscribe(this.cancelChannel);
    await worker.waitUntilReady();
  }

  /** Stops taking work; running handlers finish (or are stopped by the process exiting). */
  async onApplicationShutdown(): Promise<void> {
    if (this.subscriber) this.redis.release(this.subscriber);
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const grace = this.config.shutdownGraceMs;
    const closed = await Promise.race([worker.close().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), grace).unref())]);
    // Still running after the grace period: leave the locks to expire so another replica takes over.
    // A forced close still waits for running processors in BullMQ 6, so it is not awaited: the
    // process is about to exit and stalled-job recovery re-runs the task elsewhere.
    if (!closed) void worker.close(true).catch(() => undefined);
  }
}
