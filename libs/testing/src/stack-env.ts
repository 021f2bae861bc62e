import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const libsParent = resolve(__dirname, '../../..');
/** The repository root, from the sources (tests) or from the compiled copy under dist/ (benchmarks). */
export const REPO_ROOT = basename(libsParent) === 'dist' ? dirname(libsParent) : libsParent;
export const DATA_DIR = process.env.DATA_DIR ?? join(REPO_ROOT, '.data');

/**
 * Variables written by `scripts/infra/up.sh` (DATABASE_URL, REDIS_URL, INTERNAL_SERVICE_KEY, ...).
 * Values already in the environment win.
 */
export function readStackEnv(): Record<string, string> {
  const file = join(DATA_DIR, 'stack.env');
  if (!existsSync(file)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    vars[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

/** A variable the test needs from the real stack; fails loudly instead of skipping. */
export function requireStackVar(name: string): string {
  const value = process.env[name] ?? readStackEnv()[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts the real services first`);
  return value;
}
