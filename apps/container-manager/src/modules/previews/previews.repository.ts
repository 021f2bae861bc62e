import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { DatabaseService } from '../../database/database.service';

export interface PreviewRecord {
  sessionId: string;
  port: number;
  /** Milliseconds since the epoch; the path form targets the most recent registration. */
  registeredAt: number;
  private: boolean;
  /** SHA-256 (hex) of the current token; null when none was issued or it was revoked. */
  tokenHash: string | null;
}

interface PreviewRow {
  session_id: string;
  port: number;
  registered_at: number;
  private: number;
  token_hash: string | null;
}

const toRecord = (row: PreviewRow): PreviewRecord => ({
  sessionId: row.session_id,
  port: row.port,
  registeredAt: row.registered_at,
  private: row.private === 1,
  tokenHash: row.token_hash,
});

/** The `preview_ports` table. Every proxied request reads it, so rows are small and keyed by session. */
@Injectable()
export class PreviewsRepository {
  private readonly upsertStatement: Statement<[string, number, number]>;
  private readonly listStatement: Statement<[string], PreviewRow>;
  private readonly listAllStatement: Statement<[], PreviewRow>;
  private readonly deleteStatement: Statement<[string, number]>;
  private readonly deleteSessionStatement: Statement<[string]>;
  private readonly setTokenStatement: Statement<[string | null, string, number]>;
  private readonly makePublicStatement: Statement<[string, number]>;

  constructor(database: DatabaseService) {
    const db = database.db;
    // Registering a port again refreshes its time but keeps it private if it was.
    this.upsertStatement = db.prepare(
      `INSERT INTO preview_ports (session_id, port, registered_at) VALUES (?, ?, ?)
       ON CONFLICT (session_id, port) DO UPDATE SET registered_at = excluded.registered_at`,
    );
    this.listStatement = db.prepare('SELECT * FROM preview_ports WHERE session_id = ? ORDER BY registered_at DESC, port DESC');
    this.listAllStatement = db.prepare('SELECT * FROM preview_ports ORDER BY registered_at DESC, port DESC');
    this.deleteStatement = db.prepare('DELETE FROM preview_ports WHERE session_id = ? AND port = ?');
    this.deleteSessionStatement = db.prepare('DELETE FROM preview_ports WHERE session_id = ?');
    this.setTokenStatement = db.prepare('UPDATE preview_ports SET private = 1, token_hash = ? WHERE session_id = ? AND port = ?');
    this.makePublicStatement = db.prepare('UPDATE preview_ports SET private = 0, token_hash = NULL WHERE session_id = ? AND port = ?');
  }

  upsert(sessionId: string, port: number, registeredAt: number): PreviewRecord {
    this.upsertStatement.run(sessionId, port, registeredAt);
    const record = this.listBySession(sessionId).find((row) => row.port === port);
    if (!record) throw new Error(`preview ${sessionId}:${port} vanished after upsert`);
    return record;
  }

  /** Most recently registered first. */
  listBySession(sessionId: string): PreviewRecord[] {
    return this.listStatement.all(sessionId).map(toRecord);
  }

  listAll(): PreviewRecord[] {
    return this.listAllStatement.all().map(toRecord);
  }

  delete(sessionId: string, port: number): boolean {
    return this.deleteStatement.run(sessionId, port).changes > 0;
  }

  deleteSession(sessionId: string): number {
    return this.deleteSessionStatement.run(sessionId).changes;
  }

  /** Marks the port private; `tokenHash` null revokes the token and leaves the port closed to everyone. */
  setToken(sessionId: string, port: number, tokenHash: string | null): boolean {
    return this.setTokenStatement.run(tokenHash, sessionId, port).changes > 0;
  }

  /** Makes the port public again and forgets its token. */
  makePublic(sessionId: string, port: number): boolean {
    return this.makePublicStatement.run(sessionId, port).changes > 0;
  }
}
