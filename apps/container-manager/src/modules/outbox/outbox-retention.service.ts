import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PeriodicTask } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { OutboxRepository } from './outbox.repository';

/** Rows deleted per statement: a few milliseconds of (synchronous) SQLite work at most. */
export const PRUNE_BATCH = 1_000;

/**
 * Deletes delivered outbox rows older than `OUTBOX_RETENTION_MS`, every `OUTBOX_PRUNE_INTERVAL_MS`.
 * better-sqlite3 is synchronous, so a large backlog is deleted in batches of `PRUNE_BATCH` with a
 * turn of the event loop between two, never in one long statement. Rows not delivered (pending,
 * retrying, or dropped after a permanent 4xx) are kept whatever their age: they are the queue, and
 * the record of what never arrived.
 */
@Injectable()
export class OutboxRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRetentionService.name);
  private readonly passes = new PeriodicTask<number>(() => this.pruneDeliveredBefore(this.cutoff()), {
    name: OutboxRetentionService.name,
    intervalMs: () => this.config.outboxPruneIntervalMs,
  });
  /** The `now` of the prune() call starting a pass; the scheduled passes take the clock's. */
  private requestedNow: Date | undefined;
  private stopped = false;

  constructor(
    private readonly repository: OutboxRepository,
    private readonly config: ManagerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  /** Stops the schedule and lets the pass in flight end at its next batch, before the database closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.passes.stop();
  }

  /**
   * One pass, deleting what was delivered before `now - OUTBOX_RETENTION_MS`; resolves to how many rows
   * it deleted. A call during a pass shares that pass (and its `now`).
   */
  prune(now: Date = new Date()): Promise<number> {
    // A pass that starts here reads it synchronously, before its first await; a joined one never does.
    this.requestedNow = now;
    try {
      return this.passes.run();
    } finally {
      this.requestedNow = undefined;
    }
  }

  private cutoff(): Date {
    return new Date((this.requestedNow ?? new Date()).getTime() - this.config.outboxRetentionMs);
  }

  private async pruneDeliveredBefore(cutoff: Date): Promise<number> {
    const started = Date.now();
    let pruned = 0;
    let batches = 0;
    try {
      while (!this.stopped) {
        const deleted = this.repository.pruneDelivered(cutoff, PRUNE_BATCH);
        pruned += deleted;
        batches++;
        if (deleted < PRUNE_BATCH) break;
        await yieldToEventLoop();
      }
      this.logger.debug({ pruned, batches, deliveredBefore: cutoff.toISOString(), durationMs: Date.now() - started }, 'pruned delivered outbox rows');
    } catch (error) {
      this.logger.warn({ err: error, pruned }, 'outbox prune failed; retrying at the next interval');
    }
    return pruned;
  }
}
