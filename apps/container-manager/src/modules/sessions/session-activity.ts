import { Injectable, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SandboxStatus } from '@sandbox/contracts';
import { SessionEvents } from './session-events';
import { SessionRecord, SessionsRepository } from './sessions.repository';

/** Activity is written to SQLite at most this often per session (the deadlines read memory first). */
const PERSIST_EVERY_MS = 5_000;

/** One session's activity, mutated in place: a preview request costs one map lookup and no allocation. */
interface ActivityEntry {
  /** Last activity, ms since the epoch (0: none since the manager started). */
  last: number;
  /** The last activity written to the session row. */
  persisted: number;
  /** Requests still running in the session. */
  inFlight: number;
}

/**
 * What keeps a session awake (docs/lifecycle.md): the last moment it was used, and the requests
 * still running in it. Kept in memory so a preview request costs one map lookup and two field writes, and written to the
 * session row at most every PERSIST_EVERY_MS (and at shutdown), so idle deadlines survive a restart
 * a few seconds early at worst. Also knows, without I/O, which sessions are paused.
 */
@Injectable()
export class SessionActivity implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly entries = new Map<string, ActivityEntry>();
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
      if (event.type === 'deleted') this.entries.delete(event.sessionId);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** Writes the activity not yet persisted, so a restart starts from it. */
  onApplicationShutdown(): void {
    for (const [sessionId, entry] of this.entries) {
      if (entry.last > entry.persisted) this.sessions.touch(sessionId, new Date(entry.last));
    }
  }

  /** The session was used now. */
  touch(sessionId: string, now = Date.now()): void {
    const entry = this.entry(sessionId);
    entry.last = now;
    if (now - entry.persisted < PERSIST_EVERY_MS) return;
    entry.persisted = now;
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
    this.entry(sessionId).inFlight++;
  }

  release(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (entry && entry.inFlight > 0) entry.inFlight--;
  }

  busy(sessionId: string): boolean {
    return (this.entries.get(sessionId)?.inFlight ?? 0) > 0;
  }

  isPaused(sessionId: string): boolean {
    return this.paused.has(sessionId);
  }

  /** Last activity in ms since the epoch: in memory, on the row, or the (re)start of the sandbox, whichever is latest. */
  lastActivity(session: SessionRecord): number {
    const stored = session.lastActivityAt ? Date.parse(session.lastActivityAt) : 0;
    const started = session.startedAt ? Date.parse(session.startedAt) : 0;
    return Math.max(this.entries.get(session.sessionId)?.last ?? 0, stored, started);
  }

  /** The latest activity as an ISO timestamp (what the contract's lastActivityAt reports). */
  lastActivityAt(session: SessionRecord): string | null {
    const memory = this.entries.get(session.sessionId)?.last ?? 0;
    if (memory === 0) return session.lastActivityAt;
    const stored = session.lastActivityAt ? Date.parse(session.lastActivityAt) : 0;
    return new Date(Math.max(memory, stored)).toISOString();
  }

  private entry(sessionId: string): ActivityEntry {
    let entry = this.entries.get(sessionId);
    if (!entry) this.entries.set(sessionId, (entry = { last: 0, persisted: 0, inFlight: 0 }));
    return entry;
  }
}
