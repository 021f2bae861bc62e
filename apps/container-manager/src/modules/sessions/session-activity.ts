import { Injectable, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SandboxStatus } from '@sandbox/contracts';
import { SessionEvents } from './session-events';
import { SessionRecord, SessionsRepository } from './sessions.repository';

/** Activity is written to SQLite at most this often per session (the deadlines read memory first). */
const PERSIST_EVERY_MS = 5_000;

/**
 * What keeps a session awake (docs/lifecycle.md): the last moment it was used, and the requests
 * still running in it. Kept in memory so a preview request costs a map write, and written to the
 * session row at most every PERSIST_EVERY_MS (and at shutdown), so idle deadlines survive a restart
 * a few seconds early at worst. Also knows, without I/O, which sessions are paused.
 */
@Injectable()
export class SessionActivity implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly last = new Map<string, number>();
  private readonly persisted = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly paused = new Set<string>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: SessionEvents,
  ) {}

  onModuleInit(): void {
    for (const session of this.sessions.list()) if (session.status === SandboxStatus.Paused) this.paused.add(session.sessionId);
    this.subscription = this.events.lifecycle$.subscribe((event) => {
      if (event.type === 'paused') this.paused.add(event.sessionId);
      else this.paused.delete(event.sessionId);
      if (event.type === 'deleted') this.forget(event.sessionId);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** Writes the activity not yet persisted, so a restart starts from it. */
  onApplicationShutdown(): void {
    for (const [sessionId, at] of this.last) {
      if ((this.persisted.get(sessionId) ?? 0) < at) this.sessions.touch(sessionId, new Date(at));
    }
  }

  /** The session was used now. */
  touch(sessionId: string, now = Date.now()): void {
    this.last.set(sessionId, now);
    if (now - (this.persisted.get(sessionId) ?? 0) < PERSIST_EVERY_MS) return;
    this.persisted.set(sessionId, now);
    this.sessions.touch(sessionId, new Date(now));
  }

  /** A request using the sandbox started: activity, and the session is not idle until the matching `end`. */
  begin(sessionId: string): void {
    this.hold(sessionId);
    this.touch(sessionId);
  }

  end(sessionId: string): void {
    this.release(sessionId);
    this.touch(sessionId);
  }

  /** Keeps the session from being paused until `release`, without counting as activity (a checkpoint). */
  hold(sessionId: string): void {
    this.inFlight.set(sessionId, (this.inFlight.get(sessionId) ?? 0) + 1);
  }

  release(sessionId: string): void {
    const left = (this.inFlight.get(sessionId) ?? 1) - 1;
    if (left > 0) this.inFlight.set(sessionId, left);
    else this.inFlight.delete(sessionId);
  }

  busy(sessionId: string): boolean {
    return this.inFlight.has(sessionId);
  }

  isPaused(sessionId: string): boolean {
    return this.paused.has(sessionId);
  }

  /** Last activity in ms since the epoch: in memory, on the row, or the (re)start of the sandbox, whichever is latest. */
  lastActivity(session: SessionRecord): number {
    const stored = session.lastActivityAt ? Date.parse(session.lastActivityAt) : 0;
    const started = session.startedAt ? Date.parse(session.startedAt) : 0;
    return Math.max(this.last.get(session.sessionId) ?? 0, stored, started);
  }

  /** The latest activity as an ISO timestamp (what the contract's lastActivityAt reports). */
  lastActivityAt(session: SessionRecord): string | null {
    const memory = this.last.get(session.sessionId);
    if (memory === undefined) return session.lastActivityAt;
    const stored = session.lastActivityAt ? Date.parse(session.lastActivityAt) : 0;
    return new Date(Math.max(memory, stored)).toISOString();
  }

  private forget(sessionId: string): void {
    this.last.delete(sessionId);
    this.persisted.delete(sessionId);
    this.inFlight.delete(sessionId);
  }
}
