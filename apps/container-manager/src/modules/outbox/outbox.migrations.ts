import type { Migration } from '../../database/migration';

export const OUTBOX_MIGRATIONS: Migration[] = [
  {
    id: 400,
    name: 'outbox',
    sql: `
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        delivered_at TEXT,
        failed_at TEXT
      );
      CREATE INDEX outbox_pending ON outbox (session_id, id) WHERE delivered_at IS NULL AND failed_at IS NULL;
    `,
  },
  {
    // The retention prune deletes delivered rows oldest first; without this it would scan the table.
    // Partial, so pending rows (the hot path) don't pay for it.
    id: 401,
    name: 'outbox_delivered_index',
    sql: `
      CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
    `,
  },
  {
    // The W3C traceparent of the request that made the change, sent with the delivery (docs/observability.md).
    id: 402,
    name: 'outbox_traceparent',
    sql: `
      ALTER TABLE outbox ADD COLUMN traceparent TEXT;
    `,
  },
];
