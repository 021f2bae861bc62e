import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../../database/database.service';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { OutboxRetentionService, PRUNE_BATCH } from './outbox-retention.service';
import { OutboxRepository } from './outbox.repository';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface RowSpec {
  sessionId: string;
  createdAgoMs: number;
  deliveredAgoMs?: number;
  failedAgoMs?: number;
  attempts?: number;
  lastError?: string;
}

describe(OutboxRetentionService.name, () => {
  let m: ManagerHarness;
  let db: Database.Database;
  let retention: OutboxRetentionService;

  /** Writes outbox rows as the delivery loop would have left them, with timestamps in the past. */
  const writeRows = (now: number, rows: RowSpec[]): void => {
    const insert = db.prepare(
      'INSERT INTO outbox (session_id, type, payload, created_at, attempts, next_attempt_at, last_error, delivered_at, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const iso = (agoMs: number | undefined) => (agoMs === undefined ? null : new Date(now - agoMs).toISOString());
    db.transaction(() => {
      for (const row of rows) {
        const payload = JSON.stringify({ type: 'session.started', sessionId: row.sessionId });
        // Undelivered rows are due far in the future: the (gateway-less) delivery loop leaves them alone.
        insert.run(row.sessionId, 'session.started', payload, iso(row.createdAgoMs), row.attempts ?? 1, now + 30 * DAY, row.lastError ?? null, iso(row.deliveredAgoMs), iso(row.failedAgoMs));
      }
    })();
  };
  const sessionsLeft = (): string[] => db.prepare('SELECT session_id FROM outbox ORDER BY session_id').pluck().all() as string[];
  const countOf = (sessionId: string): number => db.prepare('SELECT COUNT(*) FROM outbox WHERE session_id = ?').pluck().get(sessionId) as number;

  beforeAll(async () => {
    // The timer stays out of the way (longest allowed delay): each test drives the prune and its clock.
    m = await startManager({ OUTBOX_RETENTION_MS: String(HOUR), OUTBOX_PRUNE_INTERVAL_MS: '2147483647' });
    db = m.app.app.get(DatabaseService).db;
    retention = m.app.app.get(OutboxRetentionService);
  });
  afterAll(async () => {
    await m?.destroy();
  });
  beforeEach(() => {
    db.prepare('DELETE FROM outbox').run();
  });

  it('should delete delivered rows past the retention and keep recent ones and every undelivered one, however old', async () => {
    const now = Date.now();
    writeRows(now, [
      { sessionId: 'delivered-2-days-ago', createdAgoMs: 2 * DAY, deliveredAgoMs: 2 * DAY - 1_000 },
      { sessionId: 'delivered-61-min-ago', createdAgoMs: 62 * 60_000, deliveredAgoMs: 61 * 60_000 },
      { sessionId: 'delivered-59-min-ago', createdAgoMs: 60 * 60_000, deliveredAgoMs: 59 * 60_000 },
      { sessionId: 'delivered-just-now', createdAgoMs: 1_000, deliveredAgoMs: 0 },
      { sessionId: 'pending-30-days', createdAgoMs: 30 * DAY, attempts: 0 },
      { sessionId: 'retrying-30-days', createdAgoMs: 30 * DAY, attempts: 40, lastError: 'connect ECONNREFUSED 127.0.0.1:4000' },
      { sessionId: 'dropped-30-days', createdAgoMs: 30 * DAY, failedAgoMs: 30 * DAY - 1_000, lastError: '404: Session not found' },
    ]);

    await expect(retention.prune(new Date(now))).resolves.toBe(2);

    expect(sessionsLeft()).toEqual(['delivered-59-min-ago', 'delivered-just-now', 'dropped-30-days', 'pending-30-days', 'retrying-30-days']);
    expect(m.app.app.get(OutboxRepository).pendingCount()).toBe(2);
  });

  it('should delete the recent delivered rows once they age past the retention, still keeping the undelivered ones', async () => {
    const now = Date.now();
    writeRows(now, [
      { sessionId: 'delivered-just-now', createdAgoMs: 1_000, deliveredAgoMs: 0 },
      { sessionId: 'pending-just-now', createdAgoMs: 0, attempts: 0 },
      { sessionId: 'retrying-just-now', createdAgoMs: 0, attempts: 3, lastError: 'gateway 503' },
    ]);

    await expect(retention.prune(new Date(now))).resolves.toBe(0);
    await expect(retention.prune(new Date(now + HOUR + 1))).resolves.toBe(1);
    await expect(retention.prune(new Date(now + 365 * DAY))).resolves.toBe(0);

    expect(sessionsLeft()).toEqual(['pending-just-now', 'retrying-just-now']);
  });

  it(`should prune a backlog larger than one batch (${PRUNE_BATCH} rows) in several statements, leaving undelivered rows interleaved with it`, async () => {
    const now = Date.now();
    const delivered = randomUUID();
    const pending = randomUUID();
    const backlog = 2 * PRUNE_BATCH + 500;
    writeRows(now, [
      ...Array.from({ length: backlog }, (_, i): RowSpec => ({ sessionId: delivered, createdAgoMs: 10 * DAY - i, deliveredAgoMs: 9 * DAY - i })),
      ...Array.from({ length: 300 }, (_, i): RowSpec => ({ sessionId: pending, createdAgoMs: 10 * DAY - i, attempts: i })),
    ]);
    const batches = jest.spyOn(m.app.app.get(OutboxRepository), 'pruneDelivered');

    try {
      await expect(retention.prune(new Date(now))).resolves.toBe(backlog);
      expect(batches.mock.calls.map(([, limit]) => limit)).toEqual([PRUNE_BATCH, PRUNE_BATCH, PRUNE_BATCH]);
      expect(batches.mock.results.map((r) => r.value as number)).toEqual([PRUNE_BATCH, PRUNE_BATCH, 500]);
    } finally {
      batches.mockRestore();
    }
    expect(countOf(delivered)).toBe(0);
    expect(countOf(pending)).toBe(300);
  });
});
