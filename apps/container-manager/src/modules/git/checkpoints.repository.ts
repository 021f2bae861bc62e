import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import type { GitCheckpoint } from '@sandbox/contracts';
import { DatabaseService } from '../../database/database.service';

interface CheckpointRow {
  id: string;
  session_id: string;
  commit_hash: string;
  files_changed: number;
  message_number: number | null;
  description: string | null;
  created_at: string;
}

const toCheckpoint = (row: CheckpointRow): GitCheckpoint => ({
  id: row.id,
  sessionId: row.session_id,
  commitHash: row.commit_hash,
  filesChanged: row.files_changed,
  messageNumber: row.message_number,
  description: row.description,
  createdAt: row.created_at,
});

/** The `git_checkpoints` table: the timeline the API lists, and the only hashes restore and diff accept. */
@Injectable()
export class CheckpointsRepository {
  private readonly insertStatement: Statement<[string, string, string, number, number | null, string | null, string]>;
  private readonly pageStatement: Statement<[string, number, number], CheckpointRow>;
  private readonly countStatement: Statement<[string], number>;
  private readonly findStatement: Statement<[string, string], CheckpointRow>;
  private readonly deleteSessionStatement: Statement<[string]>;

  constructor(database: DatabaseService) {
    const db = database.db;
    this.insertStatement = db.prepare(
      `INSERT INTO git_checkpoints (id, session_id, commit_hash, files_changed, message_number, description, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.pageStatement = db.prepare('SELECT * FROM git_checkpoints WHERE session_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?');
    this.countStatement = db.prepare<[string], number>('SELECT COUNT(*) FROM git_checkpoints WHERE session_id = ?').pluck();
    this.findStatement = db.prepare('SELECT * FROM git_checkpoints WHERE session_id = ? AND commit_hash = ?');
    this.deleteSessionStatement = db.prepare('DELETE FROM git_checkpoints WHERE session_id = ?');
  }

  /** Call inside `DatabaseService.transaction` together with the outbox row that announces it. */
  insert(checkpoint: GitCheckpoint): void {
    this.insertStatement.run(
      checkpoint.id,
      checkpoint.sessionId,
      checkpoint.commitHash,
      checkpoint.filesChanged,
      checkpoint.messageNumber,
      checkpoint.description,
      checkpoint.createdAt,
    );
  }

  /** Newest first. */
  page(sessionId: string, limit: number, offset: number): { checkpoints: GitCheckpoint[]; total: number } {
    return { checkpoints: this.pageStatement.all(sessionId, limit, offset).map(toCheckpoint), total: this.countStatement.get(sessionId) ?? 0 };
  }

  find(sessionId: string, commitHash: string): GitCheckpoint | null {
    const row = this.findStatement.get(sessionId, commitHash);
    return row ? toCheckpoint(row) : null;
  }

  deleteSession(sessionId: string): number {
    return this.deleteSessionStatement.run(sessionId).changes;
  }
}
