import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManagerConfig } from '../config/manager-config';
import { Migration, MIGRATIONS } from './migration';

/**
 * The manager's SQLite database (better-sqlite3, WAL). Opened and migrated synchronously when the
 * module is built, so repositories can prepare statements in their constructors.
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  readonly db: Database.Database;

  constructor(config: ManagerConfig, @Inject(MIGRATIONS) migrations: Migration[][]) {
    const dir = join(config.dataDir, 'manager');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dir, 'manager.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate(migrations.flat());
  }

  /** Runs `fn` in one transaction: state changes and their outbox rows commit together. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Closed last (after the HTTP server has drained), so in-flight requests can still write. */
  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(migrations: Migration[]): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set(this.db.prepare('SELECT id FROM schema_migrations').pluck().all() as number[]);
    const ids = new Set<number>();
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      if (ids.has(migration.id)) throw new Error(`duplicate migration id ${migration.id}`);
      ids.add(migration.id);
      if (applied.has(migration.id)) continue;
      this.transaction(() => {
        this.db.exec(migration.sql);
        this.db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(migration.id, migration.name, new Date().toISOString());
      });
      this.logger.log(`applied migration ${migration.id} ${migration.name}`);
    }
  }
}
