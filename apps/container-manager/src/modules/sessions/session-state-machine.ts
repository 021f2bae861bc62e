import { Injectable } from '@nestjs/common';
import { SandboxStatus } from '@sandbox/contracts';
import { KeyedMutex } from '../../common/keyed-mutex';
import { DatabaseService } from '../../database/database.service';
import { OutboxService } from '../outbox/outbox.service';
import type { OutboxMessage } from '../outbox/outbox.types';
import { SessionEvents, SessionLifecycleEvent } from './session-events';
import { SessionErrors } from './sessions.exception';
import { SessionRecord, SessionsRepository } from './sessions.repository';

const { Creating, Running, Paused, Stopped, Error, Removed } = SandboxStatus;

/**
 * Every status change a session may make, written once. `running → running` is a restart of a
 * container that died under a running record; `error → error` a retry that failed again. Only a
 * running session pauses; a paused one resumes (`running`), stops, or fails when its container dies.
 * Any live session may be removed (the tombstone of a delete); nothing leaves `removed`.
 */
export const SESSION_TRANSITIONS: Readonly<Record<SandboxStatus, readonly SandboxStatus[]>> = {
  [Creating]: [Running, Error, Removed],
  [Running]: [Running, Paused, Stopped, Error, Removed],
  [Paused]: [Running, Stopped, Error, Removed],
  [Stopped]: [Running, Error, Removed],
  [Error]: [Running, Error, Removed],
  [Removed]: [],
};

export const canTransition = (from: SandboxStatus, to: SandboxStatus): boolean => SESSION_TRANSITIONS[from].includes(to);

export interface TransitionOptions {
  /** Why a session failed (`error` only); kept on the row and sent to the gateway. */
  reason?: string;
  /** The container the session runs in from now on. */
  containerId?: string;
}

/** What the gateway and the manager's own modules are told of a new status. Removal tells no one here: the delete announces `deleted` once the sandbox is gone. */
function announcements(sessionId: string, to: SandboxStatus, reason: string): { message?: OutboxMessage; event?: SessionLifecycleEvent } {
  switch (to) {
    case Running:
      return { message: { type: 'session.started', sessionId }, event: { type: 'started', sessionId } };
    case Paused:
      return { message: { type: 'session.paused', sessionId }, event: { type: 'paused', sessionId } };
    case Stopped:
      return { message: { type: 'session.stopped', sessionId }, event: { type: 'stopped', sessionId } };
    case Error:
      return { message: { type: 'session.error', sessionId, reason }, event: { type: 'error', sessionId, reason } };
    case Creating:
    case Removed:
      return {};
  }
}

/**
 * The timestamps the lifecycle deadlines are computed from (docs/lifecycle.md): `startedAt` is set
 * when a sandbox starts (a resume keeps it: the max lifetime counts from the start), `pausedAt` while
 * paused; both are cleared when the sandbox no longer runs.
 */
function lifecycleStamps(from: SandboxStatus, to: SandboxStatus, now: string): { startedAt?: string | null; pausedAt?: string | null } {
  switch (to) {
    case Running:
      return from === Paused ? { pausedAt: null } : { startedAt: now, pausedAt: null };
    case Paused:
      return { pausedAt: now };
    case Stopped:
    case Error:
      return { startedAt: null, pausedAt: null };
    case Creating:
    case Removed:
      return {};
  }
}

/**
 * The one place a session's status changes: the row and the gateway's outbox message commit in one
 * transaction, then the in-process lifecycle event is emitted. `exclusive` keeps lifecycle operations
 * of one session (create, start, stop, delete, and anything reacting to Docker) one at a time.
 */
@Injectable()
export class SessionStateMachine {
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly database: DatabaseService,
    private readonly outbox: OutboxService,
    private readonly events: SessionEvents,
  ) {}

  /** Runs `fn` as the only lifecycle operation of the session in this process. */
  exclusive<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(sessionId, fn);
  }

  /** Applies a status change; a change SESSION_TRANSITIONS does not allow is a 409 and changes nothing. */
  transition(sessionId: string, to: SandboxStatus, options: TransitionOptions = {}): SessionRecord {
    const reason = options.reason ?? 'error';
    const { message, event } = announcements(sessionId, to, reason);
    const updated = this.database.transaction(() => {
      const current = this.sessions.find(sessionId);
      if (!current) throw SessionErrors.notFound(sessionId);
      if (!canTransition(current.status, to)) throw SessionErrors.busy(sessionId, current.status);
      const now = new Date().toISOString();
      this.sessions.update(sessionId, {
        status: to,
        ...(to === Removed ? {} : { errorReason: to === Error ? reason : null }),
        ...(options.containerId ? { containerId: options.containerId } : {}),
        ...lifecycleStamps(current.status, to, now),
      });
      if (message) this.outbox.enqueue(message);
      return this.sessions.find(sessionId)!;
    });
    if (event) this.events.emitLifecycle(event);
    return updated;
  }
}
