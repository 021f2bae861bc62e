import type { Migration } from '../../database/migration';

export const SESSION_MIGRATIONS: Migration[] = [
  {
    id: 100,
    name: 'sessions',
    sql: `
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('creating', 'running', 'stopped', 'error', 'removed')),
        image TEXT NOT NULL,
        container_id TEXT,
        container_name TEXT NOT NULL,
        cpu REAL NOT NULL,
        memory_mb INTEGER NOT NULL,
        env TEXT NOT NULL DEFAULT '{}',
        error_reason TEXT,
        last_activity_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX sessions_status ON sessions (status);
    `,
  },
  {
    id: 101,
    name: 'sessions_template',
    sql: `
      ALTER TABLE sessions ADD COLUMN template TEXT;
      CREATE INDEX sessions_template ON sessions (template, status);
    `,
  },
];
