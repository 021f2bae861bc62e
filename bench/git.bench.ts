import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { INTERNAL_KEY_HEADER, ManagerRoutes } from '@sandbox/contracts';
import { workspaceDir } from '../apps/container-manager/src/common/paths';
import { BENCH_INTERNAL_KEY, startBenchManager } from './lib/container-manager';
import { type Benchmark, latencyRow } from './lib/report';
import { alternate } from './lib/stats';

const run = promisify(execFile);

/**
 * `fresh`: on a new connection. Setup calls come after seconds of writing files, when the server may
 * be closing the idle keep-alive connection just as the client reuses it (ECONNRESET); the measured
 * calls follow each other closely on one kept-alive connection.
 */
function post(port: number, path: string, body: unknown, fresh = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const headers = { [INTERNAL_KEY_HEADER]: BENCH_INTERNAL_KEY, 'content-type': 'application/json' };
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, ...(fresh ? { agent: false } : {}) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** `count` small source-like files in `dir`, spread over directories of 100. */
function populate(dir: string, count: number, uid?: number): void {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `pkg-${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    const file = join(sub, `file-${i}.ts`);
    writeFileSync(file, `export const value${i} = ${i};\n`);
    if (uid !== undefined) chownSync(file, uid, uid);
  }
}

/**
 * A checkpoint through POST .../git/commit (real session, fixed-config git, SQLite + outbox row) vs
 * raw `git add -A && git commit` on an identical tree, both after a one-file change; small and 10k-file
 * workspaces.
 */
export const benchmark: Benchmark = {
  name: 'Git checkpoint',
  async run() {
    const rawDir = mkdtempSync(join(tmpdir(), 'git-bench-raw-'));
    const manager = await startBenchManager('git-bench-', { GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000', GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000' });
    const { app, dataDir } = manager;
    const sessions: string[] = [];
    const rawEnv = { PATH: process.env.PATH, HOME: rawDir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
    try {
      const setup = async (files: number) => {
        const id = randomUUID();
        if ((await post(app.port, ManagerRoutes.sessions, { sessionId: id }, true)) !== 201) throw new Error('session create failed');
        sessions.push(id);
        const ws = workspaceDir(dataDir, id);
        populate(ws, files, 1000);
        const raw = join(rawDir, `raw-${files}`);
        mkdirSync(raw);
        populate(raw, files);
        execFileSync('git', ['init', '-q', raw], { env: rawEnv });
        const t0 = performance.now();
        if ((await post(app.port, ManagerRoutes.commit(id), {}, true)) !== 201) throw new Error('first checkpoint failed');
        const firstOurs = performance.now() - t0;
        const t1 = performance.now();
        await run('sh', ['-c', 'git add -A && git commit -q -m initial'], { cwd: raw, env: rawEnv });
        const firstRaw = performance.now() - t1;
        let n = 0;
        return {
          firstOurs,
          firstRaw,
          ours: async () => {
            writeFileSync(join(ws, 'pkg-0', 'file-0.ts'), `export const value0 = ${++n};\n`);
            if ((await post(app.port, ManagerRoutes.commit(id), {})) !== 201) throw new Error('checkpoint failed');
          },
          raw: async () => {
            writeFileSync(join(raw, 'pkg-0', 'file-0.ts'), `export const value0 = ${++n};\n`);
            await run('sh', ['-c', 'git add -A && git commit -q -m change'], { cwd: raw, env: rawEnv });
          },
        };
      };
      const small = await setup(50);
      const smallResult = await alternate({ raw: small.raw, ours: small.ours }, 6, 10);
      const large = await setup(10_000);
      const largeResult = await alternate({ raw: large.raw, ours: large.ours }, 4, 5);
      return {
        name: 'Git checkpoint (one-file change) vs raw git add -A && git commit',
        description:
          'Ours: `POST /api/internal/sessions/:id/git/commit` on a real session (fixed-config git with GIT_DIR/GIT_WORK_TREE, nested-repo guard, full hash + files-changed count, SQLite row and outbox message in one transaction, HTTP round trip). Raw: `sh -c "git add -A && git commit -q"` on an identical tree. Each iteration changes one file first.',
        baselineLabel: 'raw git',
        oursLabel: 'checkpoint route',
        rows: [
          latencyRow('50 files:', smallResult.raw, smallResult.ours, 'p50'),
          latencyRow('50 files:', smallResult.raw, smallResult.ours, 'p95'),
          latencyRow('10k files:', largeResult.raw, largeResult.ours, 'p50'),
          latencyRow('10k files:', largeResult.raw, largeResult.ours, 'p95'),
          { metric: '10k files: first checkpoint (all files new)', unit: 'ms', baseline: large.firstRaw, ours: large.firstOurs, better: 'lower' },
        ],
        notes: [
          `Checkpoint time ÷ raw git time at p50: ${(smallResult.ours.p50 / smallResult.raw.p50).toFixed(2)}× at 50 files, ${(largeResult.ours.p50 / largeResult.raw.p50).toFixed(2)}× at 10k files (goal: at most 1.5×).`,
          'The first-checkpoint row is a single measurement (cold), not a percentile.',
        ],
      };
    } finally {
      for (const id of sessions) await manager.client.deleteSession(id).catch(() => undefined);
      await manager.close();
      rmSync(rawDir, { recursive: true, force: true });
    }
  },
};
