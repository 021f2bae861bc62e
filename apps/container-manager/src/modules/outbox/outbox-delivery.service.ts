import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { GatewayClient, ServiceClientError } from '@sandbox/clients';
import { PeriodicTask, withTraceparent } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { backoffDelay, isPermanentFailure } from './outbox.backoff';
import { OutboxRepository, OutboxRow } from './outbox.repository';
import type { OutboxMessage } from './outbox.types';

const BATCH = 50;

/**
 * Background loop that delivers the outbox to the gateway: oldest pending message of each session
 * first (so a session's notifications arrive in order), retried with exponential backoff and jitter
 * until a 2xx, or dropped (and logged) on a 4xx that can never succeed. Nothing else waits on it.
 */
@Injectable()
export class OutboxDeliveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxDeliveryService.name);
  private readonly passes = new PeriodicTask(() => this.pass(), { name: OutboxDeliveryService.name, intervalMs: () => this.untilNextDue() });

  constructor(
    private readonly repository: OutboxRepository,
    private readonly gateway: GatewayClient,
    private readonly config: ManagerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.passes.start({ immediately: true });
  }

  /** Stops the loop and waits for the attempt in flight, before the HTTP clients are closed. */
  async onModuleDestroy(): Promise<void> {
    await this.passes.stop();
  }

  /** Asks for a delivery pass now (after an enqueue), instead of at the next poll. */
  wake(): void {
    this.passes.wake();
  }

  /** The pause before the next pass: until the next head is due, at most OUTBOX_POLL_MS. */
  private untilNextDue(): number {
    const nextDue = this.repository.nextDueAt();
    return nextDue === null ? this.config.outboxPollMs : Math.min(this.config.outboxPollMs, Math.max(0, nextDue - Date.now()));
  }

  private async pass(): Promise<void> {
    try {
      for (;;) {
        const due = this.repository.dueHeads(Date.now(), BATCH);
        if (due.length === 0 || !this.passes.active) return;
        let delivered = 0;
        for (const row of due) {
          if (!this.passes.active) return;
          if (await this.attempt(row)) delivered++;
        }
        // Only go round again when something moved: a session's next message may now be its head.
        if (delivered === 0) return;
      }
    } catch (error) {
      this.logger.error({ err: error }, 'outbox pass failed');
    }
  }

  /** One delivery attempt; true when the message left the queue (delivered or dropped). */
  private async attempt(row: OutboxRow): Promise<boolean> {
    try {
      await withTraceparent(row.traceparent, () => this.send(row.message));
      this.repository.markDelivered(row.id, new Date());
      return true;
    } catch (error) {
      const status = error instanceof ServiceClientError ? error.status : null;
      const reason = error instanceof Error ? error.message : String(error);
      if (isPermanentFailure(status)) {
        this.logger.warn({ outboxId: row.id, sessionId: row.sessionId, type: row.message.type, status, reason }, 'gateway rejected notification for good; dropped');
        this.repository.markFailed(row.id, `${status}: ${reason}`, new Date());
        return true;
      }
      const attempts = row.attempts + 1;
      const delay = backoffDelay(attempts, this.config.outboxBaseDelayMs, this.config.outboxMaxDelayMs);
      this.repository.reschedule(row.id, attempts, Date.now() + delay, reason);
      if (attempts === 1 || attempts % 10 === 0) {
        this.logger.warn({ outboxId: row.id, sessionId: row.sessionId, type: row.message.type, attempts, retryInMs: delay, reason }, 'gateway notification failed; will retry');
      }
      return false;
    }
  }

  private async send(message: OutboxMessage): Promise<unknown> {
    switch (message.type) {
      case 'session.started':
        return this.gateway.sessionStarted(message.sessionId);
      case 'session.paused':
        return this.gateway.sessionPaused(message.sessionId);
      case 'session.stopped':
        return this.gateway.sessionStopped(message.sessionId);
      case 'session.error':
        return this.gateway.sessionFailed(message.sessionId, { reason: message.reason });
      case 'checkpoint.recorded':
        return this.gateway.recordCheckpoint(message.checkpoint);
    }
  }
}
