import type { Migration } from '../../database/migration';

/** Preview registrations (3xx). One row per (session, port); a private port keeps a token hash. */
export const PREVIEW_MIGRATIONS: Migration[] = [
  {
    id: 300,
    name: 'preview_ports',
    sql: `CREATE TABLE preview_ports (
      session_id TEXT NOT NULL,
      port INTEGER NOT NULL CHECK (port BETWEEN 1024 AND 65535),
      registered_at INTEGER NOT NULL,
      private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
      token_hash TEXT,
      PRIMARY KEY (session_id, port)
    )`,
  },
];
