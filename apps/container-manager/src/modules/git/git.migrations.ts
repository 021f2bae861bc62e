import type { Migration } from '../../database/migration';

/** Git checkpoints (2xx). One row per commit that the timeline shows; newest first by insertion order. */
export const GIT_MIGRATIONS: Migration[] = [
  {
    id: 200,
    name: 'git_checkpoints',
    sql: `CREATE TABLE git_checkpoints (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      session_id TEXT NOT NULL,
      commit_hash TEXT NOT NULL CHECK (length(commit_hash) = 40),
      files_changed INTEGER NOT NULL CHECK (files_changed >= 0),
      message_number INTEGER,
      description TEXT,
      created_at TEXT NOT NULL,
      UNIQUE (session_id, commit_hash)
    );
    CREATE INDEX git_checkpoints_session ON git_checkpoints (session_id, seq DESC);`,
  },
];
