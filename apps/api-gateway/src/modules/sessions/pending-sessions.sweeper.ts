import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ContainerManagerClient, ServiceNotFoundError } from '@sandbox/clients';
import { SandboxStatus } from '@sandbox/contracts';
import { PeriodicTask } from '@sandbox/shared';
import { SessionLifecycleService } from './session-lifecycle.service';
import { SessionsRepository } from './sessions.repository';
import { GatewayConfig } from '../../config/gateway-config';

const BATCH = 50;

/**
 * Settles sessions left PENDING longer than a create can take, e.g. because the gateway stopped
 * between its INSERT and the manager's answer: the container-manager's record decides. Running →
 * ACTIVE (its `start` notification may still be on the way; the transition is idempotent), failed →
 * ERROR with its reason, unknown → ERROR. An unreachable manager leaves the row for the next sweep.
 */
@Injectable()
export class PendingSessionsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PendingSessionsSweeper.name);
  private readonly timeoutMs: number;
  private readonly loop: PeriodicTask<number>;

  constructor(
    config: GatewayConfig,
    private readonly sessions: SessionsRepository,
    private readonly lifecycle: SessionLifecycleService,
    private readonly manager: ContainerManagerClient,
  ) {
    this.timeoutMs = config.pendingSessions.timeoutMs;
    this.loop = new PeriodicTask(() => this.settleStale(), { name: PendingSessionsSweeper.name, intervalMs: config.pendingSessions.sweepIntervalMs });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many sessions it settled. Overlapping calls share the pass in progress. */
  sweep(): Promise<number> {
    return this.loop.run();
  }

  private async settleStale(): Promise<number> {
    let settled = 0;
    try {
      const stale = await this.sessions.listPendingBefore(new Date(Date.now() - this.timeoutMs), BATCH);
      for (const session of stale) if (await this.settle(session.id)) settled++;
    } catch (error) {
      this.logger.warn({ err: error }, 'pending-session sweep failed; retrying on the next one');
    }
    return settled;
  }

  private async settle(sessionId: string): Promise<boolean> {
    try {
      const sandbox = await this.manager.getSession(sessionId);
      switch (sandbox.status) {
        case SandboxStatus.Running:
          await this.lifecycle.apply(sessionId, 'start');
          return true;
        case SandboxStatus.Paused:
          await this.lifecycle.apply(sessionId, 'pause');
          return true;
        case SandboxStatus.Error:
        case SandboxStatus.Removed:
          await this.lifecycle.failPending(sessionId, sandbox.errorReason ?? `sandbox is ${sandbox.status}`);
          return true;
        case SandboxStatus.Creating:
        case SandboxStatus.Stopped:
          return false; // still being created, or a stop is being reported: its notification settles it
      }
    } catch (error) {
      if (error instanceof ServiceNotFoundError) {
        await this.lifecycle.failPending(sessionId, 'The sandbox was never created (creation was interrupted); create a new session');
        this.logger.warn({ sessionId }, 'stale PENDING session has no sandbox: marked ERROR');
        return true;
      }
      this.logger.warn({ sessionId, err: error }, 'could not check a stale PENDING session; will retry');
      return false;
    }
  }
}
