import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { ManagerConfig } from '../../config/manager-config';
import { SessionEvents, SessionLifecycleEvent, WorkspaceChangedEvent } from '../sessions/session-events';
import { GitService } from './git.service';

interface Pending {
  timer: NodeJS.Timeout;
  /** When the first change of this burst arrived: the burst is cut after GIT_AUTOCOMMIT_MAX_WAIT_MS. */
  firstAt: number;
}

export const AUTO_COMMIT_DESCRIPTION = 'Auto-checkpoint';

/**
 * Reacts to the sessions module's events: a repository per created session, removed with it, and one
 * automatic checkpoint per burst of workspace changes (debounced; capped so a session that never
 * goes quiet still gets checkpoints). The commit runs in the background: the write or exec that
 * triggered it has already answered.
 */
@Injectable()
export class AutoCommitScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AutoCommitScheduler.name);
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private subscriptions: Subscription[] = [];
  private stopped = false;

  constructor(
    config: ManagerConfig,
    private readonly events: SessionEvents,
    private readonly git: GitService,
  ) {
    ({ debounceMs: this.debounceMs, maxWaitMs: this.maxWaitMs } = config.autoCommit);
  }

  onApplicationBootstrap(): void {
    this.subscriptions = [this.events.lifecycle$.subscribe((event) => this.onLifecycle(event)), this.events.workspaceChanged$.subscribe((event) => this.onWorkspaceChanged(event))];
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Schedules (or pushes back) the automatic checkpoint of a session. */
  schedule(sessionId: string): void {
    if (this.stopped) return;
    const now = Date.now();
    const existing = this.pending.get(sessionId);
    if (existing) clearTimeout(existing.timer);
    const firstAt = existing?.firstAt ?? now;
    const delay = Math.max(0, Math.min(this.debounceMs, firstAt + this.maxWaitMs - now));
    const timer = setTimeout(() => this.fire(sessionId), delay);
    timer.unref();
    this.pending.set(sessionId, { timer, firstAt });
  }

  private onWorkspaceChanged(event: WorkspaceChangedEvent): void {
    // A restore records its own checkpoint.
    if (event.cause === 'restore') return;
    this.schedule(event.sessionId);
  }

  private onLifecycle(event: SessionLifecycleEvent): void {
    switch (event.type) {
      case 'created':
        this.track(this.git.initialize(event.sessionId), `initialize repository of session ${event.sessionId}`);
        break;
      case 'deleted':
        this.cancel(event.sessionId);
        this.track(this.git.destroy(event.sessionId), `remove repository of session ${event.sessionId}`);
        break;
      case 'started':
      case 'paused':
      case 'stopped':
      case 'error':
        break;
    }
  }

  private cancel(sessionId: string): void {
    const existing = this.pending.get(sessionId);
    if (existing) clearTimeout(existing.timer);
    this.pending.delete(sessionId);
  }

  private fire(sessionId: string): void {
    this.pending.delete(sessionId);
    this.track(this.git.commit(sessionId, { description: AUTO_COMMIT_DESCRIPTION }), `auto-checkpoint session ${sessionId}`);
  }

  private track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((error: unknown) => this.logger.warn(`${what} failed: ${error instanceof Error ? error.message : String(error)}`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
