import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { DatabaseService } from '../../database/database.service';
import type { OutboxMessage } from './outbox.types';

export interface OutboxRow {
  id: number;
  sessionId: string;
  message: OutboxMessage;
  attempts: number;
  /** W3C traceparent of the change it reports; null when tracing was off. */
  traceparent: string | null;
}

interface RawRow {
  id: number;
  session_id: string;
  payload: string;
  attempts: number;
  traceparent: string | null;
}

/** The outbox table: pending notifications, ordered by id, delivered head-first per session; delivered rows until pruned. */
@Injectable()
export class OutboxRepository {
  private readonly insertStmt: Statement<[sessionId: string, type: string, payload: string, createdAt: string, nextAttemptAt: number, traceparent: string | null]>;
  private readonly dueHeadsStmt: Statement<[now: number, limit: number], RawRow>;
  private readonly nextDueStmt: Statement<[], number | null>;
  private readonly deliveredStmt: Statement<[deliveredAt: string, id: number]>;
  private readonly failedStmt: Statement<[failedAt: string, error: string, id: number]>;
  private readonly rescheduleStmt: Statement<[attempts: number, nextAttemptAt: number, error: string, id: number]>;
  private readonly pendingCountStmt: Statement<[], number>;
  private readonly pruneDeliveredStmt: Statement<[deliveredBefore: string, limit: number]>;

  constructor(private readonly database: DatabaseService) {
    const db = database.db;
    this.insertStmt = db.prepare('INSERT INTO outbox (session_id, type, payload, created_at, next_attempt_at, traceparent) VALUES (?, ?, ?, ?, ?, ?)');
    const heads = `SELECT o.* FROM outbox o JOIN (
        SELECT MIN(id) AS id FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL GROUP BY session_id
      ) h ON h.id = o.id`;
    this.dueHeadsStmt = db.prepare(`${heads} WHERE o.next_attempt_at <= ? ORDER BY o.id LIMIT ?`);
    this.nextDueStmt = db.prepare<[], number | null>(`SELECT MIN(next_attempt_at) FROM (${heads})`).pluck();
    this.deliveredStmt = db.prepare('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?');
    this.failedStmt = db.prepare('UPDATE outbox SET failed_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?');
    this.rescheduleStmt = db.prepare('UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.pendingCountStmt = db.prepare<[], number>('SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL').pluck();
    // Delivered rows only (index outbox_delivered); ISO-8601 UTC strings compare in time order.
    this.pruneDeliveredStmt = db.prepare(
      'DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ? ORDER BY delivered_at LIMIT ?)',
    );
  }

  /** Must run inside the transaction of the state change the message reports. */
  insert(message: OutboxMessage, now: Date, traceparent: string | null = null): number {
    if (!this.database.db.inTransaction) {
      throw new Error('OutboxService.enqueue must be called inside DatabaseService.transaction(...)');
    }
    const result = this.insertStmt.run(message.sessionId, message.type, JSON.stringify(message), now.toISOString(), now.getTime(), traceparent);
    return Number(result.lastInsertRowid);
  }

  /** The oldest pending message of each session, if it is due. */
  dueHeads(now: number, limit: number): OutboxRow[] {
    return this.dueHeadsStmt.all(now, limit).map((row) => ({
      id: row.id,
      sessionId: row.session_id,
      message: JSON.parse(row.payload) as OutboxMessage,
      attempts: row.attempts,
      traceparent: row.traceparent,
    }));
  }

  /** When the next head becomes due (epoch ms), or null when nothing is pending. */
  nextDueAt(): number | null {
    return this.nextDueStmt.get() ?? null;
  }

  pendingCount(): number {
    return this.pendingCountStmt.get() ?? 0;
  }

  markDelivered(id: number, now: Date): void {
    this.deliveredStmt.run(now.toISOString(), id);
  }

  markFailed(id: number, error: string, now: Date): void {
    this.failedStmt.run(now.toISOString(), error.slice(0, 1000), id);
  }

  reschedule(id: number, attempts: number, nextAttemptAt: number, error: string): void {
    this.rescheduleStmt.run(attempts, nextAttemptAt, error.slice(0, 1000), id);
  }

  /**
   * Deletes up to `limit` rows delivered before `deliveredBefore`, oldest first; returns how many.
   * Pending, retrying and failed (dropped) rows are never touched. Ids are AUTOINCREMENT, so they are
   * not reused after a delete and per-session order stays by id.
   */
  pruneDelivered(deliveredBefore: Date, limit: number): number {
    return this.pruneDeliveredStmt.run(deliveredBefore.toISOString(), limit).changes;
  }
}
