import { Injectable } from '@nestjs/common';
import {
  Job,
  priorityOf,
  priorityValue,
  publicJobStatus,
  publicTaskStatus,
  rawTaskStatuses,
  Task,
  TaskEvent,
  TaskType,
  WorkerErrors,
} from '@sandbox/contracts';
import { ServiceNotFoundError, WorkerClient } from '@sandbox/clients';
import { DomainException } from '@sandbox/shared';
import { SessionsService } from '../sessions/sessions.service';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CreateJobInput, CreateTaskInput, TasksArgs } from './dto/task.inputs';
import { JobModel, TaskEventModel, TaskModel, TaskPageModel } from './models/task.model';
import { parseServerSentEvents } from './server-sent-events';

const date = (value: string | null): Date | null => (value ? new Date(value) : null);

/** Task types that act on every session of the platform: run by the operator (worker REST), not by API keys. */
const OPERATOR_TASK_TYPES: ReadonlySet<string> = new Set([TaskType.SessionsStopIdle]);

export function toTaskModel(task: Task): TaskModel {
  return {
    id: task.id,
    type: task.type,
    payload: task.payload,
    priority: priorityOf(task.priority),
    status: publicTaskStatus(task.status),
    rawStatus: task.status,
    attempts: task.attempts,
    maxAttempts: task.maxAttempts,
    result: task.result ?? null,
    error: task.error,
    jobId: task.jobId,
    createdAt: new Date(task.createdAt),
    updatedAt: new Date(task.updatedAt),
    startedAt: date(task.startedAt),
    finishedAt: date(task.finishedAt),
  };
}

export function toJobModel(job: Job): JobModel {
  return {
    id: job.id,
    name: job.name,
    type: job.type,
    payload: job.payload,
    cron: job.cron,
    timezone: job.timezone,
    status: publicJobStatus(job.status),
    rawStatus: job.status,
    consecutiveFailures: job.consecutiveFailures,
    lastRunAt: date(job.lastRunAt),
    nextRunAt: date(job.nextRunAt),
    createdAt: new Date(job.createdAt),
    updatedAt: new Date(job.updatedAt),
  };
}

/**
 * Tasks and jobs (docs/api.md, api-gateway: tasks and jobs), kept by the worker-service and reached through `WorkerClient`. Each one
 * belongs to the API key's owner: another owner's id behaves exactly like an unknown one. Worker
 * failures keep the documented mapping (unreachable → 503 `Worker Service is unavailable`, 400 passed through).
 */
@Injectable()
export class TasksService {
  constructor(
    private readonly worker: WorkerClient,
    private readonly sessions: SessionsService,
  ) {}

  async createTask(user: AuthenticatedUser, input: CreateTaskInput): Promise<TaskModel> {
    await this.authorizePayload(user, input.type, input.payload);
    const task = await this.worker.createTask({
      type: input.type,
      payload: input.payload ?? {},
      priority: priorityValue(input.priority),
      maxAttempts: input.maxAttempts,
      ownerId: user.id,
    });
    return toTaskModel(task);
  }

  async task(user: AuthenticatedUser, taskId: string): Promise<TaskModel> {
    return toTaskModel(await this.ownTask(user, taskId));
  }

  async tasks(user: AuthenticatedUser, args: TasksArgs): Promise<TaskPageModel> {
    const page = await this.worker.listTasks({
      status: args.status ? (rawTaskStatuses(args.status).join(',') as Task['status']) : undefined,
      type: args.type,
      limit: args.limit,
      offset: args.offset,
      ownerId: user.id,
    });
    return { tasks: page.tasks.map(toTaskModel), total: page.total };
  }

  async cancelTask(user: AuthenticatedUser, taskId: string): Promise<TaskModel> {
    await this.ownTask(user, taskId);
    return toTaskModel(await this.worker.cancelTask(taskId));
  }

  async createJob(user: AuthenticatedUser, input: CreateJobInput): Promise<JobModel> {
    await this.authorizePayload(user, input.type, input.payload);
    const job = await this.worker.createJob({
      name: input.name,
      type: input.type,
      payload: input.payload ?? {},
      cron: input.cron,
      timezone: input.timezone,
      ownerId: user.id,
    });
    return toJobModel(job);
  }

  async job(user: AuthenticatedUser, jobId: string): Promise<JobModel> {
    return toJobModel(await this.ownJob(user, jobId));
  }

  async jobs(user: AuthenticatedUser): Promise<JobModel[]> {
    const { jobs } = await this.worker.listJobs(user.id);
    return jobs.filter((job) => job.ownerId === user.id).map(toJobModel);
  }

  async pauseJob(user: AuthenticatedUser, jobId: string): Promise<JobModel> {
    await this.ownJob(user, jobId);
    return toJobModel(await this.worker.pauseJob(jobId));
  }

  async resumeJob(user: AuthenticatedUser, jobId: string): Promise<JobModel> {
    await this.ownJob(user, jobId);
    return toJobModel(await this.worker.resumeJob(jobId));
  }

  async deleteJob(user: AuthenticatedUser, jobId: string): Promise<boolean> {
    await this.ownJob(user, jobId);
    await this.worker.deleteJob(jobId);
    return true;
  }

  /**
   * The task's events for a `taskEvents` subscription: the worker's SSE stream (past events replayed,
   * then live, ending with COMPLETE or ERROR), checked for ownership before it is opened.
   */
  async taskEvents(user: AuthenticatedUser, taskId: string): Promise<AsyncIterableIterator<{ taskEvents: TaskEventModel }>> {
    await this.ownTask(user, taskId);
    const response = await this.worker.taskEventStream(taskId);
    const events = parseServerSentEvents<TaskEvent>(response.body);
    const iterator: AsyncIterableIterator<{ taskEvents: TaskEventModel }> = {
      next: async () => {
        const next = await events.next();
        if (next.done) return { done: true, value: undefined };
        const event = next.value;
        return {
          done: false,
          value: { taskEvents: { ...event, progress: event.progress ?? null, data: event.data ?? null, timestamp: new Date(event.timestamp) } },
        };
      },
      return: async () => {
        response.body.destroy();
        await events.return?.(undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * A task acts with the platform's internal key, so the gateway decides what an API key may aim it
   * at: a `sessionId` in the payload must be one of the caller's sessions (another owner's behaves as
   * not found), and platform-wide maintenance types are refused.
   */
  private async authorizePayload(user: AuthenticatedUser, type: string, payload: Record<string, unknown> | undefined): Promise<void> {
    if (OPERATOR_TASK_TYPES.has(type)) {
      throw DomainException.forbidden(`Task type ${type} acts on every session and is reserved for the platform operator`);
    }
    if (type === String(TaskType.RunExecute)) throw DomainException.forbidden(`Task type ${type} is started by runs (startRun, initRun), not directly`);
    const sessionId = payload?.sessionId;
    if (sessionId === undefined) return;
    if (typeof sessionId !== 'string') throw DomainException.badRequest('payload.sessionId must be a string');
    await this.sessions.get(user, sessionId);
  }

  private async ownTask(user: AuthenticatedUser, taskId: string): Promise<Task> {
    const task = await this.worker.getTask(taskId).catch((error: unknown) => {
      throw error instanceof ServiceNotFoundError ? DomainException.notFound(WorkerErrors.taskNotFound) : error;
    });
    if (task.ownerId !== user.id) throw DomainException.notFound(WorkerErrors.taskNotFound);
    return task;
  }

  private async ownJob(user: AuthenticatedUser, jobId: string): Promise<Job> {
    const job = await this.worker.getJob(jobId).catch((error: unknown) => {
      throw error instanceof ServiceNotFoundError ? DomainException.notFound(WorkerErrors.jobNotFound) : error;
    });
    if (job.ownerId !== user.id) throw DomainException.notFound(WorkerErrors.jobNotFound);
    return job;
  }
}
