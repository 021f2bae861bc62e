import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { CreateJobRequest, Job, JobList, JobStatus, WorkerErrors } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { WorkerConfig } from '../../config/worker-config';
import { TaskQueueRepository } from '../tasks/task-queue.repository';
import { TasksService } from '../tasks/tasks.service';
import { assertValidSchedule, nextRun } from './cron';
import { JobRepository, StoredJob } from './job.repository';

export const DEFAULT_TIMEZONE = 'UTC';
/** Tasks created by ticks run at NORMAL priority. */
const TICK_PRIORITY = 5;

/** A stable task id per tick, so a redelivered tick cannot create a second task. */
export function tickTaskId(jobId: string, tickId: string): string {
  const hex = createHash('sha256').update(`${jobId}/${tickId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Cron jobs. The schedule lives in a BullMQ job scheduler (one per job): Redis hands each tick to one
 * worker, whatever the replica count. Pause removes the scheduler and keeps the record; resume puts it
 * back; a tick that was already queued when the job was paused or deleted finds it inactive and does nothing.
 */
@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly jobs: JobRepository,
    private readonly queue: TaskQueueRepository,
    private readonly tasks: TasksService,
    private readonly config: WorkerConfig,
  ) {}

  async create(request: CreateJobRequest): Promise<Job> {
    const timezone = request.timezone ?? DEFAULT_TIMEZONE;
    assertValidSchedule(request.cron, timezone);
    this.tasks.validate(request.type, request.payload);
    const now = new Date().toISOString();
    const job: StoredJob = {
      id: randomUUID(),
      name: request.name,
      type: request.type,
      payload: request.payload,
      cron: request.cron.trim(),
      timezone,
      status: JobStatus.Active,
      consecutiveFailures: 0,
      ownerId: request.ownerId ?? null,
      lastRunAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.jobs.create(job);
    await this.queue.upsertSchedule(job.id, job.cron, job.timezone);
    this.logger.log(`job ${job.id} (${job.type}) scheduled '${job.cron}' ${job.timezone}`);
    return this.view(job);
  }

  async list(ownerId?: string): Promise<JobList> {
    return { jobs: (await this.jobs.list(ownerId)).map((job) => this.view(job)) };
  }

  async get(id: string): Promise<Job> {
    return this.view(await this.find(id));
  }

  async pause(id: string): Promise<Job> {
    const job = await this.find(id);
    if (job.status !== JobStatus.Paused) {
      // Record first: a tick already on its way sees `paused` and creates nothing.
      await this.jobs.update(id, { status: JobStatus.Paused });
      await this.queue.removeSchedule(id);
    }
    return this.get(id);
  }

  /** Restarts the ticks of a paused (or failed) job, with its failure count reset. */
  async resume(id: string): Promise<Job> {
    const job = await this.find(id);
    if (job.status !== JobStatus.Active || !(await this.queue.hasSchedule(id))) {
      await this.jobs.update(id, { status: JobStatus.Active, consecutiveFailures: 0 });
      await this.queue.upsertSchedule(id, job.cron, job.timezone);
    }
    return this.get(id);
  }

  async delete(id: string): Promise<{ id: string; deleted: true }> {
    const job = await this.find(id);
    await this.queue.removeSchedule(id);
    await this.jobs.delete(id, job.ownerId);
    this.logger.log(`job ${id} deleted`);
    return { id, deleted: true };
  }

  /** One tick of a job: creates its task (once per tick, even if the tick is delivered twice). */
  async onTick(jobId: string, tickId: string): Promise<string | null> {
    const job = await this.jobs.find(jobId);
    if (!job) {
      await this.queue.removeSchedule(jobId);
      return null;
    }
    if (job.status !== JobStatus.Active) return null;
    const task = await this.tasks.create({ type: job.type, payload: job.payload, priority: TICK_PRIORITY, ownerId: job.ownerId ?? undefined }, { id: tickTaskId(jobId, tickId), jobId });
    await this.jobs.update(jobId, { lastRunAt: new Date().toISOString() });
    return task.id;
  }

  /** Called when a task of the job ends: success resets the failure count, failures may fail the job. */
  async recordRun(jobId: string, succeeded: boolean): Promise<void> {
    if (succeeded) {
      await this.jobs.update(jobId, { consecutiveFailures: 0 });
      return;
    }
    const threshold = this.config.jobMaxConsecutiveFailures;
    const outcome = await this.jobs.recordFailure(jobId, threshold);
    if (outcome?.status === JobStatus.Failed) {
      await this.queue.removeSchedule(jobId);
      this.logger.warn(`job ${jobId} failed after ${outcome.failures} consecutive failed runs; its schedule is stopped`);
    }
  }

  private async find(id: string): Promise<StoredJob> {
    const job = await this.jobs.find(id);
    if (!job) throw DomainException.notFound(WorkerErrors.jobNotFound);
    return job;
  }

  private view(job: StoredJob): Job {
    return { ...job, nextRunAt: job.status === JobStatus.Active ? nextRun(job.cron, job.timezone) : null };
  }
}
