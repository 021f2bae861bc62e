import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { SandboxSession, SandboxStatus, SessionLifecycleSettings } from '@sandbox/contracts';
import { DatabaseService } from '../../database/database.service';
import { updateRow } from '../../database/update-row';

/** Per-session lifecycle overrides as stored: null means the manager's default applies. */
export interface LifecycleOverrides {
  idleTimeoutMs: number | null;
  pausedStopMs: number | null;
  maxLifetimeMs: number | null;
}

/** A session row; `env` stays server-side (it may hold secrets) and is needed to recreate the container. */
export interface SessionRecord extends Omit<SandboxSession, 'lifecycle'> {
  env: Record<string, string>;
  overrides: LifecycleOverrides;
}

interface Row {
  session_id: string;
  status: SandboxStatus;
  template: string | null;
  image: string;
  container_id: string | null;
  container_name: string;
  cpu: number;
  memory_mb: number;
  disk_mb: number | null;
  env: string;
  error_reason: string | null;
  idle_timeout_ms: number | null;
  paused_stop_ms: number | null;
  max_lifetime_ms: number | null;
  last_activity_at: string | null;
  started_at: string | null;
  paused_at: string | null;
  created_at: string;
  updated_at: string;
}

export type SessionPatch = Partial<Pick<SessionRecord, 'status' | 'containerId' | 'errorReason' | 'startedAt' | 'pausedAt'>>;

const PATCH_COLUMNS: Record<keyof SessionPatch, string> = { status: 'status', containerId: 'container_id', errorReason: 'error_reason', startedAt: 'started_at', pausedAt: 'paused_at' };

export interface NewSession {
  sessionId: string;
  status: SandboxStatus;
  template: string;
  image: string;
  containerName: string;
  cpu: number;
  memoryMb: number;
  diskMb: number | null;
  env: Record<string, string>;
  overrides: LifecycleOverrides;
}

/** The `sessions` table of the manager's SQLite database. */
@Injectable()
export class SessionsRepository {
  private readonly findStmt: Statement<[sessionId: string], Row>;
  private readonly listStmt: Statement<[], Row>;
  private readonly listAllStmt: Statement<[], Row>;
  private readonly insertStmt: Statement<[Omit<NewSession, 'overrides' | 'env'> & LifecycleOverrides & { env: string; now: string }]>;
  private readonly touchStmt: Statement<[lastActivityAt: string, sessionId: string]>;
  private readonly countTemplateStmt: Statement<[template: string], number>;

  constructor(private readonly database: DatabaseService) {
    const db = database.db;
    this.findStmt = db.prepare('SELECT * FROM sessions WHERE session_id = ?');
    this.listStmt = db.prepare("SELECT * FROM sessions WHERE status != 'removed' ORDER BY created_at, session_id");
    this.listAllStmt = db.prepare('SELECT * FROM sessions ORDER BY created_at, session_id');
    this.insertStmt = db.prepare(
      `INSERT INTO sessions (session_id, status, template, image, container_id, container_name, cpu, memory_mb, disk_mb, env, error_reason,
                             idle_timeout_ms, paused_stop_ms, max_lifetime_ms, last_activity_at, created_at, updated_at)
       VALUES (@sessionId, @status, @template, @image, NULL, @containerName, @cpu, @memoryMb, @diskMb, @env, NULL,
               @idleTimeoutMs, @pausedStopMs, @maxLifetimeMs, NULL, @now, @now)`,
    );
    this.touchStmt = db.prepare('UPDATE sessions SET last_activity_at = ? WHERE session_id = ?');
    this.countTemplateStmt = db.prepare<[template: string], number>("SELECT count(*) FROM sessions WHERE template = ? AND status != 'removed'").pluck();
  }

  find(sessionId: string): SessionRecord | null {
    const row = this.findStmt.get(sessionId);
    return row ? toRecord(row) : null;
  }

  /** Sessions that still exist (not removed). */
  list(): SessionRecord[] {
    return this.listStmt.all().map(toRecord);
  }

  listAll(): SessionRecord[] {
    return this.listAllStmt.all().map(toRecord);
  }

  insert(session: NewSession): void {
    const { overrides, ...rest } = session;
    this.insertStmt.run({ ...rest, ...overrides, env: JSON.stringify(session.env), now: new Date().toISOString() });
  }

  update(sessionId: string, patch: SessionPatch): void {
    updateRow(this.database.db, 'sessions', { column: 'session_id', key: sessionId }, patch, PATCH_COLUMNS);
  }

  /** Sessions (not removed) started from a template. */
  countUsingTemplate(template: string): number {
    return this.countTemplateStmt.get(template) ?? 0;
  }

  touch(sessionId: string, at: Date): void {
    this.touchStmt.run(at.toISOString(), sessionId);
  }
}

function toRecord(row: Row): SessionRecord {
  return {
    sessionId: row.session_id,
    status: row.status,
    template: row.template,
    image: row.image,
    containerId: row.container_id,
    containerName: row.container_name,
    cpu: row.cpu,
    memoryMb: row.memory_mb,
    diskMb: row.disk_mb,
    env: JSON.parse(row.env) as Record<string, string>,
    errorReason: row.error_reason,
    overrides: { idleTimeoutMs: row.idle_timeout_ms, pausedStopMs: row.paused_stop_ms, maxLifetimeMs: row.max_lifetime_ms },
    lastActivityAt: row.last_activity_at,
    startedAt: row.started_at,
    pausedAt: row.paused_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The contract form: no env, and the lifecycle settings that apply (overrides over `defaults`). */
export function toSession(record: SessionRecord, defaults: SessionLifecycleSettings): SandboxSession {
  const { env: _env, overrides, ...session } = record;
  return { ...session, lifecycle: effectiveLifecycle(overrides, defaults) };
}

export function effectiveLifecycle(overrides: LifecycleOverrides, defaults: SessionLifecycleSettings): SessionLifecycleSettings {
  return {
    idleTimeoutMs: overrides.idleTimeoutMs ?? defaults.idleTimeoutMs,
    pausedStopMs: overrides.pausedStopMs ?? defaults.pausedStopMs,
    maxLifetimeMs: overrides.maxLifetimeMs ?? defaults.maxLifetimeMs,
  };
}
