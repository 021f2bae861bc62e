#!/usr/bin/env node
// Generates the api-gateway's Prisma client (prisma/schema.prisma → apps/api-gateway/src/generated/prisma).
// scripts/build.mjs runs it before compiling, so `npm start`, `npm test` and the build always use a
// client that matches the schema. `prisma generate` needs no schema engine, but the CLI still tries to
// download one unless PRISMA_SCHEMA_ENGINE_BINARY names an existing file, which it then never runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const cli = join(root, 'node_modules/prisma/build/index.js');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) env.PRISMA_SCHEMA_ENGINE_BINARY = cli;

const result = spawnSync(process.execPath, [cli, 'generate', '--no-hints'], { cwd: root, env, encoding: 'utf8' });
if (result.status !== 0) {
  process.stderr.write(result.stdout + result.stderr);
  process.exit(result.status ?? 1);
}
console.log('generate: Prisma client written to apps/api-gateway/src/generated/prisma');
