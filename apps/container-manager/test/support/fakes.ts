import { SandboxStatus } from '@sandbox/contracts';
import type { DatabaseService } from '../../src/database/database.service';
import type { OutboxService } from '../../src/modules/outbox/outbox.service';
import type { OutboxMessage } from '../../src/modules/outbox/outbox.types';
import { SessionEvents, SessionLifecycleEvent } from '../../src/modules/sessions/session-events';
import { SessionStateMachine } from '../../src/modules/sessions/session-state-machine';
import type { SessionPatch, SessionRecord, SessionsRepository } from '../../src/modules/sessions/sessions.repository';

/**
 * In-memory stand-ins for the manager's repositories, for unit tests of the rules in its services
 * (the real ones are covered by the integration tests against SQLite and Docker).
 */
export class FakeSessionsRepository implements Pick<SessionsRepository, 'find' | 'list' | 'update' | 'touch'> {
  readonly rows = new Map<string, SessionRecord>();

  add(sessionId: string, status: SandboxStatus, patch: Partial<SessionRecord> = {}): SessionRecord {
    const now = new Date().toISOString();
    const record: SessionRecord = {
      sessionId,
      status,
      template: 'base',
      image: 'sandbox-base:local',
      containerId: null,
      containerName: `sandbox-session-${sessionId}`,
      cpu: 1,
      memoryMb: 512,
      diskMb: null,
      env: {},
      errorReason: null,
      overrides: { idleTimeoutMs: null, pausedStopMs: null, maxLifetimeMs: null },
      lastActivityAt: null,
      startedAt: null,
      pausedAt: null,
      createdAt: now,
      updatedAt: now,
      ...patch,
    };
    this.rows.set(sessionId, record);
    return record;
  }

  find(sessionId: string): SessionRecord | null {
    const row = this.rows.get(sessionId);
    return row ? { ...row } : null;
  }

  list(): SessionRecord[] {
    return [...this.rows.values()].filter((row) => row.status !== SandboxStatus.Removed);
  }

  update(sessionId: string, patch: SessionPatch): void {
    const row = this.rows.get(sessionId);
    if (!row) return;
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    this.rows.set(sessionId, { ...row, ...defined, updatedAt: new Date().toISOString() });
  }

  touch(sessionId: string, at: Date): void {
    this.update(sessionId, {});
    const row = this.rows.get(sessionId);
    if (row) row.lastActivityAt = at.toISOString();
  }
}

/** Records what would be sent to the gateway. */
export class FakeOutbox implements Pick<OutboxService, 'enqueue'> {
  readonly messages: OutboxMessage[] = [];

  enqueue(message: OutboxMessage): void {
    this.messages.push(message);
  }
}

/** A transaction that undoes the fakes' writes when `fn` throws, like SQLite's. */
export class FakeDatabase implements Pick<DatabaseService, 'transaction'> {
  constructor(
    private readonly sessions: FakeSessionsRepository,
    private readonly outbox: FakeOutbox,
  ) {}

  transaction<T>(fn: () => T): T {
    const rows = new Map([...this.sessions.rows].map(([id, row]) => [id, { ...row }]));
    const sent = this.outbox.messages.length;
    try {
      return fn();
    } catch (error) {
      this.sessions.rows.clear();
      for (const [id, row] of rows) this.sessions.rows.set(id, row);
      this.outbox.messages.length = sent;
      throw error;
    }
  }
}

/** A SessionStateMachine over the fakes, with every lifecycle event it emits collected. */
export function newStateMachine() {
  const sessions = new FakeSessionsRepository();
  const outbox = new FakeOutbox();
  const database = new FakeDatabase(sessions, outbox);
  const events = new SessionEvents();
  const emitted: SessionLifecycleEvent[] = [];
  events.lifecycle$.subscribe((event) => emitted.push(event));
  const machine = new SessionStateMachine(sessions as unknown as SessionsRepository, database as unknown as DatabaseService, outbox as unknown as OutboxService, events);
  return { machine, sessions, outbox, events, emitted };
}
