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
  {
    // SQLite cannot change a CHECK constraint in place: the table is rebuilt with `paused` allowed, plus
    // the per-session disk quota, lifecycle overrides (NULL: the manager's default) and the timestamps
    // the lifecycle deadlines are computed from (so they survive a restart).
    id: 102,
    name: 'sessions_lifecycle',
    sql: `
      CREATE TABLE sessions_next (
        session_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('creating', 'running', 'paused', 'stopped', 'error', 'removed')),
        template TEXT,
        image TEXT NOT NULL,
        container_id TEXT,
        container_name TEXT NOT NULL,
        cpu REAL NOT NULL,
        memory_mb INTEGER NOT NULL,
        disk_mb INTEGER,
        env TEXT NOT NULL DEFAULT '{}',
        error_reason TEXT,
        idle_timeout_ms INTEGER,
        paused_stop_ms INTEGER,
        max_lifetime_ms INTEGER,
        last_activity_at TEXT,
        started_at TEXT,
        paused_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      INSERT INTO sessions_next (session_id, status, template, image, container_id, container_name, cpu, memory_mb, env, error_reason, last_activity_at, started_at, created_at, updated_at)
        SELECT session_id, status, template, image, container_id, container_name, cpu, memory_mb, env, error_reason, last_activity_at,
               CASE WHEN status = 'running' THEN updated_at END, created_at, updated_at
        FROM sessions;
      DROP TABLE sessions;
      ALTER TABLE sessions_next RENAME TO sessions;
      CREATE INDEX sessions_status ON sessions (status);
      CREATE INDEX sessions_template ON sessions (template, status);
    `,
  },
];
