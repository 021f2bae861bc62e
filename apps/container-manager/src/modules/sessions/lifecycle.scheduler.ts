import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SandboxStatus, SessionLifecycleSettings } from '@sandbox/contracts';
import { PeriodicTask } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { SessionActivity } from './session-activity';
import { SessionRecord } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** What a session's deadlines ask for at `now`, if anything (docs/lifecycle.md). */
export type DueAction = { action: 'pause' | 'stop'; why: 'idle' | 'paused too long' | 'max lifetime' } | null;

const at = (iso: string | null): number | null => (iso ? Date.parse(iso) : null);

/**
 * The deadlines of one session, from stored timestamps only (so they survive a restart): a running
 * session idle (no activity, no request in flight) for `idleTimeoutMs` is paused, one paused for
 * `pausedStopMs` is stopped, and any live session whose sandbox started `maxLifetimeMs` ago is stopped
 * however busy. 0 turns a deadline off.
 */
export function dueAction(session: SessionRecord, settings: SessionLifecycleSettings, lastActivity: number, busy: boolean, now: number): DueAction {
  if (session.status !== SandboxStatus.Running && session.status !== SandboxStatus.Paused) return null;
  const started = at(session.startedAt);
  if (settings.maxLifetimeMs > 0 && started !== null && now - started >= settings.maxLifetimeMs) return { action: 'stop', why: 'max lifetime' };
  if (session.status === SandboxStatus.Paused) {
    const paused = at(session.pausedAt);
    return settings.pausedStopMs > 0 && paused !== null && now - paused >= settings.pausedStopMs ? { action: 'stop', why: 'paused too long' } : null;
  }
  return settings.idleTimeoutMs > 0 && !busy && now - lastActivity >= settings.idleTimeoutMs ? { action: 'pause', why: 'idle' } : null;
}

/**
 * Applies the lifecycle deadlines without an operator: every SESSION_LIFECYCLE_CHECK_MS it looks at
 * the live sessions (one SQLite read) and pauses or stops those that are due, each under the
 * session's lifecycle lock and only if still due then (activity may have come in meanwhile).
 */
@Injectable()
export class LifecycleScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LifecycleScheduler.name);
  private readonly checks = new PeriodicTask(() => this.pass(), { name: LifecycleScheduler.name, intervalMs: () => this.config.lifecycleCheckMs });

  constructor(
    private readonly sessions: SessionsService,
    private readonly activity: SessionActivity,
    private readonly config: ManagerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.checks.start();
  }

  /** Stops the checks and waits for the pass in flight, before the database closes. */
  async onModuleDestroy(): Promise<void> {
    await this.checks.stop();
  }

  /** One pass over the live sessions; overlapping calls share the pass under way. */
  tick(): Promise<void> {
    return this.checks.run();
  }

  private async pass(): Promise<void> {
    for (const session of this.sessions.list()) {
      const due = this.due(session, Date.now());
      if (!due) continue;
      try {
        const done = await this.sessions.expire(session.sessionId, due.action, (current) => this.due(current, Date.now())?.action === due.action);
        if (done) this.logger.log({ sessionId: session.sessionId, action: due.action, why: due.why }, `session ${due.action === 'pause' ? 'paused' : 'stopped'}: ${due.why}`);
      } catch (error) {
        this.logger.warn({ err: error, sessionId: session.sessionId, action: due.action }, 'lifecycle deadline could not be applied');
      }
    }
  }

  private due(session: SessionRecord, now: number): DueAction {
    return dueAction(session, this.sessions.lifecycleOf(session), this.activity.lastActivity(session), this.activity.busy(session.sessionId), now);
  }
}
