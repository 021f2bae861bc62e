import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ServiceNotFoundError, WorkerClient } from '@sandbox/clients';
import { RunStatus, Task, TaskStatus } from '@sandbox/contracts';
import { PeriodicTask } from '@sandbox/shared';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';
import { GatewayConfig } from '../../config/gateway-config';

const BATCH = 50;
const TERMINAL_TASK: readonly TaskStatus[] = [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled];

/**
 * Keeps runs moving when their task cannot: a QUEUED run without a task (the worker was unreachable
 * when it started) gets one; a QUEUED or RUNNING run whose task is finished or gone without having
 * finished the run (every attempt lost with its worker, the task cancelled directly, pruned) fails
 * with its terminal ERROR event, so no watcher waits forever. Also applies event retention:
 * events of runs finished more than RUN_EVENT_RETENTION_MS ago are deleted.
 */
@Injectable()
export class RunsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RunsSweeper.name);
  private readonly loop: PeriodicTask;

  constructor(
    private readonly runs: RunsRepository,
    private readonly service: RunsService,
    private readonly worker: WorkerClient,
    private readonly config: GatewayConfig,
  ) {
    this.loop = new PeriodicTask(() => this.sweepOnce(), { name: RunsSweeper.name, intervalMs: config.runs.sweepIntervalMs });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; overlapping calls share the pass in progress. */
  sweep(): Promise<void> {
    return this.loop.run();
  }

  private async sweepOnce(): Promise<void> {
    try {
      const before = new Date(Date.now() - this.config.runs.stallAfterMs);
      for (const run of await this.runs.listStale(before, BATCH)) await this.check(run);
      const retention = new Date(Date.now() - this.config.runs.eventRetentionMs);
      const removed = await this.runs.deleteEventsOfRunsFinishedBefore(retention);
      if (removed > 0) this.logger.log(`deleted ${removed} event(s) of runs finished before ${retention.toISOString()}`);
    } catch (error) {
      this.logger.warn({ err: error }, 'run sweep failed; next interval retries');
    }
  }

  private async check(run: Awaited<ReturnType<RunsRepository['listStale']>>[number]): Promise<void> {
    if (!run.taskId) {
      if (run.status === RunStatus.Queued) await this.service.enqueue(run);
      await this.runs.touch(run.id);
      return;
    }
    let task: Task | null;
    try {
      task = await this.worker.getTask(run.taskId);
    } catch (error) {
      if (!(error instanceof ServiceNotFoundError)) return; // worker away: ask again next time
      task = null;
    }
    if (task && !TERMINAL_TASK.includes(task.status)) {
      await this.runs.touch(run.id);
      return;
    }
    const reason = task
      ? `The run's task ${task.id} ended (${task.status}${task.error ? `: ${task.error}` : ''}) without finishing the run`
      : `The run's task ${run.taskId} no longer exists`;
    if (await this.service.failOrphan(run, reason)) this.logger.warn({ runId: run.id, taskId: run.taskId }, reason);
  }
}
