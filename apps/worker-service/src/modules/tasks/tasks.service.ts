import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CreateTaskRequest, ErrorCode, Task, TaskEventType, TaskListQuery, TaskPage, TaskStatus, WorkerErrors } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { WorkerConfig } from '../../config/worker-config';
import { HandlerRegistry } from '../handlers/handler.registry';
import { RedisRepository } from '../redis/redis.repository';
import { TaskQueueRepository } from './task-queue.repository';
import { ACTIVE_STATUSES, StoredTaskEvent, TERMINAL_STATUSES, TaskRepository } from './task.repository';

export const DEFAULT_PAGE_SIZE = 20;

/** What a new task needs besides the request: set for tasks created by a cron job's tick. */
export interface TaskOrigin {
  id?: string;
  jobId?: string;
}

/** Creating, reading, listing and cancelling tasks; the engine (TaskProcessor) runs them. */
@Injectable()
export class TasksService {
  private readonly logger = new Logger(TasksService.name);

  constructor(
    private readonly tasks: TaskRepository,
    private readonly queue: TaskQueueRepository,
    private readonly handlers: HandlerRegistry,
    private readonly config: WorkerConfig,
    private readonly redis: RedisRepository,
  ) {}

  /** Checks type, payload and size: a 400 that says what is wrong. */
  validate(type: string, payload: Record<string, unknown>): void {
    const limit = this.config.taskPayloadMaxBytes;
    const size = Buffer.byteLength(JSON.stringify(payload), 'utf8');
    if (size > limit) throw DomainException.badRequest(`payload is too large: ${size} bytes of JSON, at most ${limit} allowed`);
    this.handlers.validate(type, payload);
  }

  async create(request: CreateTaskRequest, origin: TaskOrigin = {}): Promise<Task> {
    this.validate(request.type, request.payload);
    const id = origin.id ?? randomUUID();
    const maxAttempts = request.maxAttempts ?? this.config.taskDefaultMaxAttempts;
    const write = this.tasks.newTaskWrite({ id, type: request.type, payload: request.payload, priority: request.priority, maxAttempts, ownerId: request.ownerId ?? null, jobId: origin.jobId ?? null });
    // Record and queue entry in one transaction. The queue dedups on the task id, so a retried creation
    // (a redelivered tick) adds no second entry while the first waits or runs; a finished one's entry is
    // gone, and a re-run of it finds a terminal status and does nothing.
    const created = (await this.queue.enqueueTask(id, request.priority, maxAttempts, write.evalArgs)) === 1;
    return created ? write.task : this.get(id);
  }

  async get(id: string): Promise<Task> {
    const task = await this.tasks.find(id);
    if (!task) throw DomainException.notFound(WorkerErrors.taskNotFound);
    return task;
  }

  /** `status` may name several statuses, comma-separated (the gateway's IN_PROGRESS is processing,retrying). */
  async list(query: Omit<TaskListQuery, 'status'> & { status?: string }): Promise<TaskPage> {
    const statuses = query.status ? ([...new Set(query.status.split(','))] as TaskStatus[]) : undefined;
    return this.tasks.list({ statuses, type: query.type, ownerId: query.ownerId }, query.limit ?? DEFAULT_PAGE_SIZE, query.offset ?? 0);
  }

  /**
   * Waiting or retrying: removed from the queue at once. Running: the handler's abort signal fires on
   * whichever replica runs it. Either way the status is `cancelled` when this returns.
   */
  async cancel(id: string): Promise<Task> {
    const result = await this.tasks.transition(id, {
      from: ACTIVE_STATUSES,
      to: TaskStatus.Cancelled,
      fields: { error: 'Cancelled', finishedAt: new Date().toISOString() },
      event: { type: TaskEventType.Error, message: 'Task cancelled' },
    });
    if (!result.applied) {
      if (result.current === null) throw DomainException.notFound(WorkerErrors.taskNotFound);
      if (result.current === TaskStatus.Cancelled) return this.get(id);
      throw new DomainException(ErrorCode.Conflict, `Task is already ${result.current}`);
    }
    const removed = await this.queue.remove(id);
    if (!removed || result.previous === TaskStatus.Processing) await this.queue.signalCancel(id);
    this.logger.log(`task ${id} cancelled (was ${result.previous})`);
    return this.get(id);
  }

  /**
   * The task's events: everything stored so far, then new ones as they come, ending after the
   * terminal one (COMPLETE, or ERROR for failed and cancelled) or when `signal` aborts.
   */
  async *events(id: string, signal: AbortSignal): AsyncGenerator<StoredTaskEvent> {
    await this.get(id);
    const isTerminal = (stored: StoredTaskEvent) => stored.event.type === TaskEventType.Complete || stored.event.type === TaskEventType.Error;
    let cursor = '0';
    for (;;) {
      const batch = await this.tasks.events(id, cursor);
      for (const stored of batch) {
        cursor = stored.id;
        yield stored;
        if (isTerminal(stored)) return;
      }
      if (batch.length < 500) break;
    }
    // Live part: a blocking read on a connection of its own, dropped when the client goes away.
    const connection = this.redis.duplicate();
    const stop = () => this.redis.release(connection);
    signal.addEventListener('abort', stop, { once: true });
    try {
      while (!signal.aborted) {
        const batch = await this.tasks.waitForEvents(connection, id, cursor, 5_000);
        for (const stored of batch) {
          cursor = stored.id;
          yield stored;
          if (isTerminal(stored)) return;
        }
        if (batch.length > 0) continue;
        // The terminal event is written with the terminal status; without it the record was pruned.
        const task = await this.tasks.find(id);
        if (!task || TERMINAL_STATUSES.includes(task.status)) return;
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }
}
