import type { Migration } from '../../database/migration';

export const TEMPLATE_MIGRATIONS: Migration[] = [
  {
    id: 500,
    name: 'templates',
    sql: `
      CREATE TABLE templates (
        name TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('BUILDING', 'READY', 'FAILED')),
        image TEXT NOT NULL,
        built_in INTEGER NOT NULL DEFAULT 0,
        owner_id TEXT,
        base_template TEXT,
        dockerfile TEXT,
        size_bytes INTEGER,
        build_log TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX templates_base ON templates (base_template);
    `,
  },
];
