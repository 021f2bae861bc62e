#!/usr/bin/env node
// Applies prisma/migrations/*/migration.sql to DATABASE_URL in order, recording them in
// `_prisma_migrations` exactly like `prisma migrate deploy` (same engine, same rows and checksums).
// The Prisma CLI cannot download its native schema engine on this machine, so this drives the
// WebAssembly build of the same engine (@prisma/schema-engine-wasm) through the pg driver adapter.
//
//   node scripts/migrate.mjs               apply pending migrations (what start.sh and test.sh run)
//   node scripts/migrate.mjs create NAME   write prisma/migrations/<timestamp>_NAME/migration.sql with
//                                          the SQL that takes the migrations so far to prisma/schema.prisma
//   node scripts/migrate.mjs status        list applied migrations
import 'dotenv/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const schemaPath = join(root, 'prisma/schema.prisma');
const migrationsDir = join(root, 'prisma/migrations');
const lockPath = join(migrationsDir, 'migration_lock.toml');
const noFilters = { externalTables: [], externalEnums: [] };

// The engine reports Rust panics through this global (the Prisma CLI installs the same one).
globalThis.PRISMA_WASM_PANIC_REGISTRY ??= { message: '', set_message(message) { this.message = `RuntimeError: ${message}`; } };

function migrationsList() {
  const dirs = existsSync(migrationsDir)
    ? readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((dir) => {
      const file = join(migrationsDir, dir, 'migration.sql');
      return {
        path: dir,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file) ? { tag: 'ok', value: readFileSync(file, 'utf8') } : { tag: 'error', value: `${file} is missing` },
        },
      };
    }),
  };
}

async function openEngine(url) {
  // Imported lazily: the module instantiates a 5 MB WebAssembly binary.
  const { SchemaEngine } = await import('@prisma/schema-engine-wasm');
  const schema = readFileSync(schemaPath, 'utf8');
  const adapter = bindMigrationAwareSqlAdapterFactory(migrationAwareFactory(url));
  const log = (line) => {
    if (process.env.MIGRATE_DEBUG) console.error(line);
  };
  return { engine: await SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, log, adapter), schema };
}

/**
 * Discrete fields rather than a connection string: the adapter makes its throwaway shadow database
 * (used by `create`) by overriding `database`, which a connection string would win over.
 */
function poolConfig(url) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

/**
 * The pg adapter's own shadow database drops the database before closing the pool that still holds a
 * connection to it (so the DROP fails and the database leaks): make and drop it here, in that order.
 */
function migrationAwareFactory(url) {
  const config = poolConfig(url);
  const main = new PrismaPg(config);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb() {
      const database = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client(config);
      await admin.connect();
      await admin.query(`CREATE DATABASE "${database}"`);
      const shadow = await new PrismaPg({ ...config, database }).connect();
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose();
        await admin.query(`DROP DATABASE IF EXISTS "${database}"`);
        await admin.end();
      };
      return shadow;
    },
  };
}

function requireUrl() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('migrate: DATABASE_URL is required');
    process.exit(1);
  }
  return url;
}

async function deploy() {
  const { engine } = await openEngine(requireUrl());
  const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrationsList(), filters: noFilters });
  console.log(
    appliedMigrationNames.length === 0 ? 'migrate: database is up to date' : `migrate: applied ${appliedMigrationNames.join(', ')}`,
  );
}

async function create(name) {
  if (!/^[a-z0-9_]+$/.test(name ?? '')) throw new Error('usage: node scripts/migrate.mjs create <snake_case_name>');
  const list = migrationsList();
  const { engine, schema } = await openEngine(requireUrl());
  // From the empty database for the first migration; afterwards from the committed migrations,
  // which the engine replays on a shadow database.
  const from = list.migrationDirectories.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...list };
  const { stdout } = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
    script: true,
    exitCode: null,
    filters: noFilters,
  });
  if (!stdout || !/\S/.test(stdout.replace(/^--.*$/gm, ''))) {
    console.log('migrate: schema and migrations agree; nothing to write');
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = join(migrationsDir, `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), stdout);
  if (!existsSync(lockPath)) {
    writeFileSync(lockPath, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
  }
  console.log(`migrate: wrote ${dir}/migration.sql`);
}

async function status() {
  const client = new pg.Client({ connectionString: requireUrl() });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY started_at');
    for (const row of rows) console.log(`${row.migration_name}  ${row.finished_at ? 'applied' : 'FAILED'}`);
  } finally {
    await client.end();
  }
}

const [command = 'deploy', arg] = process.argv.slice(2);
try {
  if (command === 'deploy') await deploy();
  else if (command === 'create') await create(arg);
  else if (command === 'status') await status();
  else throw new Error(`unknown command ${command}; use deploy, create <name> or status`);
  process.exit(0);
} catch (error) {
  console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
