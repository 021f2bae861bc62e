import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { SandboxSession, SandboxStatus } from '@sandbox/contracts';
import { DatabaseService } from '../../database/database.service';

/** A session row; `env` stays server-side (it may hold secrets) and is needed to recreate the container. */
export interface SessionRecord extends SandboxSession {
  env: Record<string, string>;
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
  env: string;
  error_reason: string | null;
  last_activity_at: string | null;
  created_at: string;
  updated_at: string;
}

export type SessionPatch = Partial<Pick<SessionRecord, 'status' | 'containerId' | 'errorReason'>>;

/** The `sessions` table of the manager's SQLite database. */
@Injectable()
export class SessionsRepository {
  private readonly findStmt: Statement;
  private readonly listStmt: Statement;
  private readonly listAllStmt: Statement;
  private readonly insertStmt: Statement;
  private readonly touchStmt: Statement;
  private readonly countTemplateStmt: Statement;

  constructor(private readonly database: DatabaseService) {
    const db = database.db;
    this.findStmt = db.prepare('SELECT * FROM sessions WHERE session_id = ?');
    this.listStmt = db.prepare("SELECT * FROM sessions WHERE status != 'removed' ORDER BY created_at, session_id");
    this.listAllStmt = db.prepare('SELECT * FROM sessions ORDER BY created_at, session_id');
    this.insertStmt = db.prepare(
      `INSERT INTO sessions (session_id, status, template, image, container_id, container_name, cpu, memory_mb, env, error_reason, last_activity_at, created_at, updated_at)
       VALUES (@sessionId, @status, @template, @image, NULL, @containerName, @cpu, @memoryMb, @env, NULL, NULL, @now, @now)`,
    );
    this.touchStmt = db.prepare('UPDATE sessions SET last_activity_at = ? WHERE session_id = ?');
    this.countTemplateStmt = db.prepare("SELECT count(*) FROM sessions WHERE template = ? AND status != 'removed'").pluck();
  }

  find(sessionId: string): SessionRecord | null {
    const row = this.findStmt.get(sessionId) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** Sessions that still exist (not removed). */
  list(): SessionRecord[] {
    return (this.listStmt.all() as Row[]).map(toRecord);
  }

  listAll(): SessionRecord[] {
    return (this.listAllStmt.all() as Row[]).map(toRecord);
  }

  insert(session: { sessionId: string; status: SandboxStatus; template: string; image: string; containerName: string; cpu: number; memoryMb: number; env: Record<string, string> }): void {
    this.insertStmt.run({ ...session, env: JSON.stringify(session.env), now: new Date().toISOString() });
  }

  update(sessionId: string, patch: SessionPatch): void {
    const sets: string[] = ['updated_at = @updatedAt'];
    const params: Record<string, unknown> = { sessionId, updatedAt: new Date().toISOString() };
    const columns = { status: 'status', containerId: 'container_id', errorReason: 'error_reason' } as const;
    for (const [field, column] of Object.entries(columns) as [keyof typeof columns, string][]) {
      if (patch[field] === undefined) continue;
      sets.push(`${column} = @${field}`);
      params[field] = patch[field];
    }
    this.database.db.prepare(`UPDATE sessions SET ${sets.join(', ')} WHERE session_id = @sessionId`).run(params);
  }

  /** Sessions (not removed) started from a template. */
  countUsingTemplate(template: string): number {
    return this.countTemplateStmt.get(template) as number;
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
    env: JSON.parse(row.env) as Record<string, string>,
    errorReason: row.error_reason,
    lastActivityAt: row.last_activity_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toSession(record: SessionRecord): SandboxSession {
  const { env: _env, ...session } = record;
  return session;
}
