import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CheckpointNotification, CheckpointPage, ExecResult, GitCheckpoint, GitDiff, GitStatus, ManagerRoutes } from '@sandbox/contracts';
import { RunningApp, startTestApp } from '@sandbox/testing';
import { gitDir, workspaceDir } from '../../common/paths';
import { AppModule } from '../../app.module';
import { CONTAINER_MANAGER_SERVICE } from '../../service';
import { SessionEvents } from '../sessions/session-events';
import { AUTO_COMMIT_DESCRIPTION } from './auto-commit.scheduler';
import { GitService } from './git.service';

const KEY = 'git-test-internal-key-0123456789';
const SANDBOX_UID = 1000;
const HEX40 = /^[0-9a-f]{40}$/;

interface Reply {
  status: number;
  body: unknown;
}

function call(port: number, path: string, method = 'GET', body?: unknown, key: string | null = KEY): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (key) headers['x-internal-service-key'] = key;
    if (payload) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : null });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on (yet): the gateway, down. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Plays the gateway's POST /api/internal/git-checkpoints and records what arrives. */
async function fakeGateway(port: number): Promise<{ server: Server; received: CheckpointNotification[] }> {
  const received: CheckpointNotification[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/internal/git-checkpoints' && req.headers['x-internal-service-key'] === KEY) {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CheckpointNotification);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, received };
}

describe(GitService.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'git-int-'));
  const hostDir = mkdtempSync(join(tmpdir(), 'git-int-host-'));
  const sessions: string[] = [];
  let app: RunningApp;
  let gatewayPort: number;

  const api = {
    commit: (id: string, body: unknown = {}) => call(app.port, ManagerRoutes.commit(id), 'POST', body),
    checkpoints: (id: string, query = '') => call(app.port, `${ManagerRoutes.checkpoints(id)}${query}`),
    status: (id: string) => call(app.port, ManagerRoutes.gitStatus(id)),
    diff: (id: string, from: string, to?: string) => call(app.port, `${ManagerRoutes.diff(id)}?from=${from}${to ? `&to=${to}` : ''}`),
    restore: (id: string, commitHash: unknown) => call(app.port, ManagerRoutes.restore(id), 'POST', { commitHash }),
  };

  /** A real session: SQLite row, workspace owned by the sandbox user, hardened container. */
  async function newSession(): Promise<{ id: string; ws: string }> {
    const id = randomUUID();
    const reply = await call(app.port, ManagerRoutes.sessions, 'POST', { sessionId: id });
    expect(reply.status).toBe(201);
    sessions.push(id);
    return { id, ws: workspaceDir(dataDir, id) };
  }

  /** Writes as the sandbox would (owned by its user); parents created. */
  function write(ws: string, path: string, content: string | Buffer, mode = 0o644): void {
    const file = join(ws, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, mode);
    chownSync(file, SANDBOX_UID, SANDBOX_UID);
  }

  async function checkpoint(id: string, body: unknown = {}): Promise<GitCheckpoint> {
    const reply = await api.commit(id, body);
    expect(reply.status).toBe(201);
    return reply.body as GitCheckpoint;
  }

  /** What the repository recorded, read with a plain git outside the app. */
  const treeOf = (id: string, rev: string) =>
    execFileSync('git', [`--git-dir=${gitDir(dataDir, id)}`, 'ls-tree', '-r', '--name-only', '-z', rev], { env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: hostDir } })
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .sort();

  beforeAll(async () => {
    gatewayPort = await freePort();
    // The whole manager; the preview proxy's HTTP-server hook is left out (not what this tests).
    app = await startTestApp(() => AppModule.forRoot(), { ...CONTAINER_MANAGER_SERVICE, configure: undefined }, {
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      INTERNAL_SERVICE_KEY: KEY,
      // The gateway is down for the whole run until the delivery test starts it.
      API_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      OUTBOX_BACKOFF_BASE_MS: '50',
      GATEWAY_NOTIFY_MAX_DELAY_MS: '300',
      OUTBOX_POLL_MS: '50',
      GIT_AUTOCOMMIT_DEBOUNCE_MS: '300',
      GIT_AUTOCOMMIT_MAX_WAIT_MS: '10000',
      GIT_DIFF_MAX_BYTES: '4096',
      // These tests write "as the sandbox would" from the host, then take explicit checkpoints: the
      // sandbox agent's watch would turn those writes into auto-checkpoints racing the explicit ones.
      // Sandboxes without the agent keep git's behaviour alone under test (the watch feeding
      // auto-checkpoints is tested in files-watch.int-spec.ts).
      SANDBOX_AGENT_BINARY: '',
      LOG_LEVEL: 'silent',
    });
  }, 60_000);

  afterAll(async () => {
    for (const id of sessions) await call(app.port, ManagerRoutes.session(id), 'DELETE').catch(() => undefined);
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
  }, 120_000);

  describe('commit', () => {
    it('should answer 201 with a checkpoint, then 200 { committed: false } when nothing changed', async () => {
      const { id, ws } = await newSession();
      write(ws, 'README.md', '# hello\n');
      write(ws, 'src/index.js', 'console.log(1)\n');
      const reply = await api.commit(id, { description: 'first', messageNumber: 3 });
      expect(reply.status).toBe(201);
      const first = reply.body as GitCheckpoint;
      expect(first).toEqual({ id: expect.any(String), sessionId: id, commitHash: expect.stringMatching(HEX40), filesChanged: 2, messageNumber: 3, description: 'first', createdAt: expect.any(String) });
      expect(treeOf(id, first.commitHash)).toEqual(['README.md', 'src/index.js']);

      expect(await api.commit(id)).toEqual({ status: 200, body: { committed: false } });

      write(ws, 'src/index.js', 'console.log(2)\n');
      const second = await checkpoint(id);
      expect(second).toMatchObject({ filesChanged: 1, messageNumber: null, description: null });
      const page = (await api.checkpoints(id)).body as CheckpointPage;
      expect(page.total).toBe(2);
      expect(page.checkpoints.map((c) => c.commitHash)).toEqual([second.commitHash, first.commitHash]);
      expect(((await api.checkpoints(id, '?limit=1&offset=1')).body as CheckpointPage).checkpoints.map((c) => c.commitHash)).toEqual([first.commitHash]);
      expect((await api.status(id)).body).toEqual({ clean: true, head: second.commitHash, files: [] });
    });

    it('should label the current tree when a description is given, even with nothing changed since auto-commit took it', async () => {
      const { id, ws } = await newSession();
      write(ws, 'app.js', 'v1\n');
      const auto = await checkpoint(id);
      expect(await api.commit(id)).toEqual({ status: 200, body: { committed: false } });
      expect(await api.commit(id, { description: '   ' })).toEqual({ status: 200, body: { committed: false } });
      const labelled = await checkpoint(id, { description: 'works: login page done' });
      expect(labelled).toMatchObject({ filesChanged: 0, description: 'works: login page done' });
      expect(labelled.commitHash).not.toBe(auto.commitHash);
      expect(treeOf(id, labelled.commitHash)).toEqual(treeOf(id, auto.commitHash));
      expect(((await api.checkpoints(id)).body as CheckpointPage).checkpoints[0]).toMatchObject({ commitHash: labelled.commitHash, description: 'works: login page done' });
    });

    it('should honour .gitignore and report workspace changes in status', async () => {
      const { id, ws } = await newSession();
      write(ws, '.gitignore', 'node_modules/\n*.log\n');
      write(ws, 'node_modules/dep/index.js', 'x');
      write(ws, 'debug.log', 'x');
      write(ws, 'app.js', 'a');
      const first = await checkpoint(id);
      expect(treeOf(id, first.commitHash)).toEqual(['.gitignore', 'app.js']);
      write(ws, 'app.js', 'b');
      write(ws, 'new.txt', 'n');
      const status = (await api.status(id)).body as GitStatus;
      expect(status.clean).toBe(false);
      expect(status.files).toEqual(expect.arrayContaining([{ path: 'app.js', index: ' ', workingDir: 'M' }, { path: 'new.txt', index: '?', workingDir: '?' }]));
      expect(status.files.map((f) => f.path)).not.toContain('debug.log');
    });

    it('should keep file names and messages that look like options as plain data', async () => {
      const { id, ws } = await newSession();
      const marker = join(hostDir, `upload-pack-${id}`);
      write(ws, `--upload-pack=touch ${marker}`, 'x');
      write(ws, '-rf', 'y');
      const description = `--upload-pack=touch ${marker} -m evil`;
      const result = await checkpoint(id, { description });
      expect(result.description).toBe(description);
      expect(treeOf(id, result.commitHash)).toEqual(['--upload-pack=touch ' + marker, '-rf'].sort());
      expect(execFileSync('git', [`--git-dir=${gitDir(dataDir, id)}`, 'log', '-1', '--format=%B', result.commitHash]).toString().trimEnd()).toBe(description);
      expect(existsSync(marker)).toBe(false);
      // A description alone labels the unchanged tree, and stays text.
      expect(await api.commit(id, { description: '-' })).toMatchObject({ status: 201, body: { description: '-', filesChanged: 0 } });
    });

    it('should record the tree git add -A records, whatever kind of change the workspace made', async () => {
      const { id, ws } = await newSession();
      const notUtf8Name = Buffer.from([0x6e, 0xff, 0x78]);
      for (const path of ['keep.sh', 'modified.txt', 'deleted.txt', 'dir-to-file/a', 'dir-to-file/b', 'file-to-dir', 'file-to-link', 'tracked-then-ignored.txt', 'deep/er/x.txt']) write(ws, path, `${path}\n`);
      symlinkSync('keep.sh', join(ws, 'link-to-file'));
      const first = await checkpoint(id);

      write(ws, 'modified.txt', 'changed\n');
      chmodSync(join(ws, 'keep.sh'), 0o755);
      rmSync(join(ws, 'deleted.txt'));
      rmSync(join(ws, 'dir-to-file'), { recursive: true });
      write(ws, 'dir-to-file', 'now a file\n');
      rmSync(join(ws, 'file-to-dir'));
      write(ws, 'file-to-dir/inner.txt', 'now a directory\n');
      rmSync(join(ws, 'file-to-link'));
      symlinkSync('modified.txt', join(ws, 'file-to-link'));
      rmSync(join(ws, 'link-to-file'));
      write(ws, 'link-to-file', 'now a file\n');
      write(ws, '.gitignore', 'tracked-then-ignored.txt\nignored/\n');
      write(ws, 'tracked-then-ignored.txt', 'still tracked, so still recorded\n');
      write(ws, 'ignored/never.txt', 'x');
      write(ws, 'new/deep/file.txt', 'new\n');
      writeFileSync(Buffer.concat([Buffer.from(`${ws}/`), notUtf8Name]), 'not UTF-8\n');
      const second = await checkpoint(id);

      // Control: plain `git add -A` from the first checkpoint's index, on a copy of the same workspace.
      const copy = join(hostDir, `copy-${id}`);
      execFileSync('cp', ['-a', ws, copy]);
      const env = { PATH: process.env.PATH, HOME: hostDir, GIT_CONFIG_NOSYSTEM: '1', GIT_DIR: gitDir(dataDir, id), GIT_WORK_TREE: copy, GIT_INDEX_FILE: join(hostDir, `index-${id}`) };
      execFileSync('git', ['read-tree', first.commitHash], { env });
      execFileSync('git', ['add', '-A'], { env });
      const expected = execFileSync('git', ['write-tree'], { env }).toString().trim();
      expect(execFileSync('git', ['rev-parse', `${second.commitHash}^{tree}`], { env }).toString().trim()).toBe(expected);
      expect(treeOf(id, second.commitHash)).toContain('file-to-dir/inner.txt');
    });

    it('should keep taking checkpoints when a checkpointed file is replaced by a fifo, leaving it out', async () => {
      const { id, ws } = await newSession();
      write(ws, 'pipe', 'a file for now\n');
      write(ws, 'notes.txt', 'v1\n');
      await checkpoint(id);
      rmSync(join(ws, 'pipe'));
      execFileSync('mkfifo', [join(ws, 'pipe')]);
      write(ws, 'notes.txt', 'v2\n');
      const second = await checkpoint(id);
      expect(treeOf(id, second.commitHash)).toEqual(['notes.txt']);
    });

    it('should take a checkpointed file that grew above GIT_CHECKPOINT_MAX_FILE_MB out of the next checkpoint, and report it', async () => {
      const { id, ws } = await newSession();
      write(ws, 'data.bin', 'small at first\n');
      write(ws, 'notes.txt', 'v1\n');
      await checkpoint(id);
      const size = 65 * 1024 * 1024; // above the default 64 MiB; sparse, so it takes no room
      truncateSync(join(ws, 'data.bin'), size);
      write(ws, 'notes.txt', 'v2\n');
      const second = await checkpoint(id);
      expect(second.skippedFiles).toEqual([{ path: 'data.bin', size }]);
      expect(treeOf(id, second.commitHash)).toEqual(['notes.txt']);
    });

    it('should answer "nothing to commit" when a repository created on first use sees only a file above the limit and a nested repository', async () => {
      const { id, ws } = await newSession();
      // A session that predates its repository: the first checkpoint creates it, with no index yet.
      rmSync(gitDir(dataDir, id), { recursive: true });
      writeFileSync(join(ws, 'model.bin'), '');
      truncateSync(join(ws, 'model.bin'), 65 * 1024 * 1024);
      write(ws, 'nested/.git/HEAD', 'ref: refs/heads/main\n');
      mkdirSync(join(ws, 'nested/.git/objects'), { recursive: true });
      mkdirSync(join(ws, 'nested/.git/refs/heads'), { recursive: true });
      expect(await api.commit(id)).toEqual({ status: 200, body: { committed: false } });
      write(ws, 'notes.txt', 'v1\n');
      const first = await checkpoint(id);
      expect(first.skippedFiles).toEqual([{ path: 'model.bin', size: 65 * 1024 * 1024 }]);
      expect(treeOf(id, first.commitHash)).toEqual(['notes.txt']);
    });
  });

  describe('auto-commit', () => {
    it('should take one checkpoint after an exec and file writes through the real routes', async () => {
      const { id, ws } = await newSession();
      const exec = await call(app.port, ManagerRoutes.exec(id), 'POST', { command: 'for i in 1 2 3; do echo $i > /workspace/exec-$i.txt; done' });
      expect(exec.status).toBe(200);
      const page = await eventually(async () => {
        const current = (await api.checkpoints(id)).body as CheckpointPage;
        return current.total > 0 ? current : undefined;
      });
      expect(page.checkpoints[0]).toMatchObject({ description: AUTO_COMMIT_DESCRIPTION, filesChanged: 3 });
      expect(readFileSync(join(ws, 'exec-2.txt'), 'utf8')).toBe('2\n');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await app.app.get(GitService).drain();
      expect(((await api.checkpoints(id)).body as CheckpointPage).total).toBe(1);
    });

    it('should take exactly one checkpoint for a burst of workspace changes', async () => {
      const { id, ws } = await newSession();
      const events = app.app.get(SessionEvents);
      for (let i = 0; i < 10; i++) {
        write(ws, `burst/file-${i}.txt`, `${i}\n`);
        events.emitWorkspaceChanged({ sessionId: id, cause: i % 2 ? 'exec' : 'file' });
      }
      const page = await eventually(async () => {
        const current = (await api.checkpoints(id)).body as CheckpointPage;
        return current.total > 0 ? current : undefined;
      });
      expect(page.checkpoints[0]).toMatchObject({ description: AUTO_COMMIT_DESCRIPTION, filesChanged: 10 });
      // Quiet for several debounce periods: still exactly one.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(((await api.checkpoints(id)).body as CheckpointPage).total).toBe(1);
      // A change event after which nothing changed records nothing.
      events.emitWorkspaceChanged({ sessionId: id, cause: 'exec' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await app.app.get(GitService).drain();
      expect(((await api.checkpoints(id)).body as CheckpointPage).total).toBe(1);
    });
  });

  describe('diff', () => {
    it('should return a unified diff with binary files marked, to a checkpoint or to the workspace', async () => {
      const { id, ws } = await newSession();
      write(ws, 'notes.txt', 'one\ntwo\n');
      write(ws, 'image.bin', Buffer.from([0, 1, 2, 3, 0, 255]));
      const from = await checkpoint(id);
      write(ws, 'notes.txt', 'one\ntwo\nthree\n');
      write(ws, 'image.bin', Buffer.from([0, 9, 9, 9, 0, 255]));
      const to = await checkpoint(id);
      const reply = await api.diff(id, from.commitHash, to.commitHash);
      expect(reply.status).toBe(200);
      const diff = reply.body as GitDiff;
      expect(diff).toMatchObject({ from: from.commitHash, to: to.commitHash, truncated: false, binaryFiles: ['image.bin'] });
      expect(diff.diff).toContain('+three');
      expect(diff.diff).toContain('Binary files a/image.bin and b/image.bin differ');

      write(ws, 'fresh.txt', 'brand new\n');
      const live = (await api.diff(id, to.commitHash)).body as GitDiff;
      expect(live.to).toBeNull();
      expect(live.diff).toContain('+brand new');
    });

    it('should cut a diff larger than GIT_DIFF_MAX_BYTES and say so', async () => {
      const { id, ws } = await newSession();
      write(ws, 'big.txt', 'a\n');
      const from = await checkpoint(id);
      write(ws, 'big.txt', Array.from({ length: 2_000 }, (_, i) => `line ${i}`).join('\n'));
      const to = await checkpoint(id);
      const diff = (await api.diff(id, from.commitHash, to.commitHash)).body as GitDiff;
      expect(diff.truncated).toBe(true);
      expect(Buffer.byteLength(diff.diff)).toBeLessThanOrEqual(4096);
      expect(diff.diff.endsWith('\n')).toBe(true);
    });
  });

  describe('restore', () => {
    it('should make the workspace exactly the checkpoint (added removed, deleted back, modes kept) and record it', async () => {
      const { id, ws } = await newSession();
      write(ws, 'keep.txt', 'v1\n');
      write(ws, 'gone.txt', 'will be deleted\n');
      write(ws, 'bin/run.sh', '#!/bin/sh\necho hi\n', 0o755);
      const target = await checkpoint(id, { description: 'target' });

      write(ws, 'keep.txt', 'v2\n');
      write(ws, 'added/deep/new.txt', 'added later\n');
      rmSync(join(ws, 'gone.txt'));
      chmodSync(join(ws, 'bin/run.sh'), 0o644);
      write(ws, 'unsaved.txt', 'not checkpointed\n');

      const reply = await api.restore(id, target.commitHash);
      expect(reply.status).toBe(201);
      const restored = reply.body as GitCheckpoint;
      expect(restored).toMatchObject({ sessionId: id, commitHash: expect.stringMatching(HEX40), description: `Restored checkpoint ${target.commitHash}` });
      expect(restored.commitHash).not.toBe(target.commitHash);

      expect(readFileSync(join(ws, 'keep.txt'), 'utf8')).toBe('v1\n');
      expect(readFileSync(join(ws, 'gone.txt'), 'utf8')).toBe('will be deleted\n');
      expect(statSync(join(ws, 'bin/run.sh')).mode & 0o777).toBe(0o755);
      expect(existsSync(join(ws, 'added'))).toBe(false);
      expect(existsSync(join(ws, 'unsaved.txt'))).toBe(false);
      for (const path of ['keep.txt', 'gone.txt', 'bin/run.sh', 'bin']) expect(lstatSync(join(ws, path)).uid).toBe(SANDBOX_UID);
      expect(treeOf(id, restored.commitHash)).toEqual(treeOf(id, target.commitHash));

      // The unsaved work was checkpointed before the restore, so the restore can be undone.
      const page = (await api.checkpoints(id)).body as CheckpointPage;
      expect(page.checkpoints[0].commitHash).toBe(restored.commitHash);
      expect(page.checkpoints[1].description).toBe(`Before restore to ${target.commitHash.slice(0, 12)}`);
      expect(treeOf(id, page.checkpoints[1].commitHash)).toContain('unsaved.txt');
      expect((await api.status(id)).body).toEqual({ clean: true, head: restored.commitHash, files: [] });
    });

    it('should answer 404 for an unknown checkpoint or session, 400 for a malformed hash or id, 403 without the key', async () => {
      const { id } = await newSession();
      expect(await api.restore(id, 'f'.repeat(40))).toEqual({ status: 404, body: { statusCode: 404, message: `Checkpoint ${'f'.repeat(40)} not found in session ${id}` } });
      for (const bad of ['xyz', 'F'.repeat(40), 'a'.repeat(39), 42, '--upload-pack=x']) expect((await api.restore(id, bad)).status).toBe(400);
      expect((await api.diff(id, 'nothex')).status).toBe(400);
      expect((await api.diff(id, 'e'.repeat(40))).status).toBe(404);
      const unknown = randomUUID();
      expect((await api.commit(unknown)).status).toBe(404);
      expect((await api.checkpoints(unknown)).status).toBe(404);
      expect((await call(app.port, '/api/internal/sessions/not-a-uuid/git/status')).status).toBe(400);
      expect(await call(app.port, ManagerRoutes.gitStatus(id), 'GET', undefined, null)).toEqual({ status: 403, body: { statusCode: 403, message: 'Forbidden' } });
      expect((await api.commit(id, { description: 'x', extra: true })).status).toBe(400);
    });

    it('should not write through a symlink the sandbox planted in place of a checkpointed directory', async () => {
      const { id, ws } = await newSession();
      const markerDir = join(hostDir, `marker-dir-${id}`);
      mkdirSync(markerDir);
      writeFileSync(join(markerDir, 'keep'), 'host data\n');
      write(ws, 'dir/file', 'from the checkpoint\n');
      const target = await checkpoint(id);

      rmSync(join(ws, 'dir'), { recursive: true });
      symlinkSync(markerDir, join(ws, 'dir'));
      expect((await api.restore(id, target.commitHash)).status).toBe(201);
      // The checkpoint before the restore holds the link itself, and nothing read through it.
      const before = ((await api.checkpoints(id)).body as CheckpointPage).checkpoints[1];
      expect(before.description).toBe(`Before restore to ${target.commitHash.slice(0, 12)}`);
      expect(treeOf(id, before.commitHash)).toEqual(['dir']);

      expect(readdirSync(markerDir)).toEqual(['keep']);
      expect(readFileSync(join(markerDir, 'keep'), 'utf8')).toBe('host data\n');
      expect(lstatSync(join(ws, 'dir')).isDirectory()).toBe(true);
      expect(lstatSync(join(ws, 'dir')).isSymbolicLink()).toBe(false);
      expect(readFileSync(join(ws, 'dir/file'), 'utf8')).toBe('from the checkpoint\n');
      expect(lstatSync(join(ws, 'dir/file')).uid).toBe(SANDBOX_UID);
    });
    it('should not write through a symlink a running sandbox keeps swapping in during restores', async () => {
      const { id } = await newSession();
      const markerDir = join(hostDir, `race-dir-${id}`);
      mkdirSync(markerDir);
      const exec = (command: string) => call(app.port, ManagerRoutes.exec(id), 'POST', { command });
      expect((await exec('mkdir -p dir && echo checkpointed > dir/file')).status).toBe(200);
      const target = await checkpoint(id);
      // A process in the sandbox flips dir between a real directory and a link to a host path.
      const loop = `while true; do rm -rf dir; ln -s ${markerDir} dir; rm -f dir; mkdir dir; done`;
      expect((await exec(`nohup sh -c '${loop}' >/dev/null 2>&1 &`)).status).toBe(200);
      for (let i = 0; i < 10; i++) expect((await api.restore(id, target.commitHash)).status).toBe(201);
      expect(readdirSync(markerDir)).toEqual([]);
    });
  });

  describe('hostile workspace', () => {
    it('should run nothing the workspace plants: hooks, fsmonitor, filters, textconv, nested repositories', async () => {
      const { id, ws } = await newSession();
      const marker = (name: string) => join(hostDir, `${name}-${id}`);
      const touch = (name: string) => `touch ${marker(name)}`;
      // A repository planted at the workspace root, with everything that can run a program.
      write(ws, '.git/HEAD', 'ref: refs/heads/main\n');
      mkdirSync(join(ws, '.git/objects'), { recursive: true });
      mkdirSync(join(ws, '.git/refs/heads'), { recursive: true });
      for (const hook of ['pre-commit', 'post-commit', 'commit-msg', 'prepare-commit-msg', 'post-checkout', 'post-index-change', 'reference-transaction', 'pre-auto-gc']) {
        write(ws, `.git/hooks/${hook}`, `#!/bin/sh\n${touch(`hook-${hook}`)}\n`, 0o755);
      }
      const plantedConfig = [
        '[core]',
        `\tfsmonitor = ${touch('fsmonitor')}`,
        `\thooksPath = ${join(ws, '.git/hooks')}`,
        `\tpager = ${touch('pager')}`,
        '[filter "evil"]',
        `\tclean = ${touch('filter-clean')}`,
        `\tsmudge = ${touch('filter-smudge')}`,
        '\trequired = true',
        '[diff "evil"]',
        `\ttextconv = ${touch('textconv')}`,
        `\tcommand = ${touch('diff-command')}`,
        '',
      ].join('\n');
      write(ws, '.git/config', plantedConfig);
      write(ws, '.gitattributes', '* filter=evil diff=evil\n');
      // Nested repositories: one without a commit, one with; each configured to run a program.
      for (const nested of ['nested-empty', 'nested-full']) {
        write(ws, `${nested}/.git/HEAD`, 'ref: refs/heads/main\n');
        write(ws, `${nested}/.git/config`, plantedConfig.replace(/touch (\S+)/g, `touch $1-${nested}`));
        mkdirSync(join(ws, `${nested}/.git/objects`), { recursive: true });
        mkdirSync(join(ws, `${nested}/.git/refs/heads`), { recursive: true });
        write(ws, `${nested}/.git/hooks/pre-commit`, `#!/bin/sh\n${touch(`hook-${nested}`)}\n`, 0o755);
        write(ws, `${nested}/code.js`, 'nested\n');
      }
      write(ws, 'nested-full/.git/refs/heads/main', `${'1'.repeat(40)}\n`);
      write(ws, 'src/app.js', 'one\n');

      const first = await checkpoint(id);
      expect(treeOf(id, first.commitHash)).toEqual(['.gitattributes', 'src/app.js']);
      write(ws, 'src/app.js', 'two\n');
      expect((await api.status(id)).status).toBe(200);
      expect((await api.diff(id, first.commitHash)).status).toBe(200);
      const second = await checkpoint(id);
      expect((await api.diff(id, first.commitHash, second.commitHash)).status).toBe(200);
      expect((await api.restore(id, first.commitHash)).status).toBe(201);
      expect(readFileSync(join(ws, 'src/app.js'), 'utf8')).toBe('one\n');

      const planted = readdirSync(hostDir).filter((name) => name.endsWith(id) || name.includes(`${id}-`));
      expect(planted).toEqual([]);

      // Control: the same workspace under a naive `git status` in it does run the planted program,
      // so the markers above would have appeared had our git read any of it.
      execFileSync('git', ['-c', 'safe.directory=*', 'status', '--porcelain'], { cwd: ws, env: { PATH: process.env.PATH, HOME: hostDir, GIT_CONFIG_NOSYSTEM: '1', GIT_CEILING_DIRECTORIES: dirname(ws) }, stdio: 'ignore' });
      expect(existsSync(marker('fsmonitor'))).toBe(true);
    });

    it('should never record a host file a running sandbox swaps in through a symlink during checkpoints, status and diffs', async () => {
      const { id, ws } = await newSession();
      const secret = `host secret ${randomUUID()}\n`;
      // Many host files behind the link, each the size of the sandbox's own file of the same name:
      // every staged path is one more chance for git to open the host's copy.
      const raceDir = join(hostDir, `secret-dir-${id}`);
      mkdirSync(raceDir);
      for (let i = 0; i < 100; i++) writeFileSync(join(raceDir, `f${i}`), secret);
      write(ws, 'notes.txt', 'v1\n');
      const first = await checkpoint(id);
      // In the sandbox: `d` flips between a real directory holding f0..f99 and a link to the host directory.
      const swap = [
        'const fs = require("fs"); process.chdir("/workspace"); fs.mkdirSync("real");',
        `for (let i = 0; i < 100; i++) fs.writeFileSync("real/f" + i, "x".repeat(${Buffer.byteLength(secret)}));`,
        `fs.symlinkSync("${raceDir}", "link"); const end = Date.now() + 120000;`,
        'while (Date.now() < end) for (let i = 0; i < 1000; i++) { fs.renameSync("real", "d"); fs.renameSync("d", "real"); fs.renameSync("link", "d"); fs.renameSync("d", "link"); }',
      ].join(' ');
      write(ws, '.swap.js', swap);
      const started = await call(app.port, ManagerRoutes.exec(id), 'POST', { command: 'nohup node /workspace/.swap.js >/dev/null 2>&1 & echo $!' });
      expect(started.status).toBe(200);
      const pid = (started.body as ExecResult).stdout.trim();
      const replies: number[] = [];
      try {
        for (let i = 0; i < 50; i++) {
          replies.push((await api.commit(id)).status, (await api.status(id)).status, (await api.diff(id, first.commitHash)).status);
        }
      } finally {
        await call(app.port, ManagerRoutes.exec(id), 'POST', { command: `kill ${pid}` });
      }
      // A checkpoint racing the sandbox past its retries may fail (500); none may read the host.
      expect(replies.filter((status) => status !== 500)).toEqual(expect.arrayContaining([201, 200]));
      const objects = execFileSync('git', [`--git-dir=${gitDir(dataDir, id)}`, 'cat-file', '--batch-all-objects', '--batch'], { env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', HOME: hostDir }, maxBuffer: 256 << 20 });
      expect(objects.includes('x'.repeat(Buffer.byteLength(secret)))).toBe(true);
      expect(objects.includes(secret)).toBe(false);
    });

    /** A file name is bytes, not text: `n`, 0xff (never valid UTF-8), `x`. */
    const notUtf8 = (prefix: string) => Buffer.concat([Buffer.from(prefix), Buffer.from([0xff]), Buffer.from('x')]);
    const under = (ws: string, name: Buffer, rest = '') => Buffer.concat([Buffer.from(`${ws}/`), name, Buffer.from(rest)]);

    it('should leave out a nested repository whose name is not UTF-8, and run nothing it plants', async () => {
      const { id, ws } = await newSession();
      const marker = join(hostDir, `nested-fsmonitor-${id}`);
      const nested = notUtf8('nested-');
      for (const dir of ['', '/.git', '/.git/objects', '/.git/refs', '/.git/refs/heads']) mkdirSync(under(ws, nested, dir));
      const files: [string, string][] = [
        ['/.git/HEAD', 'ref: refs/heads/main\n'],
        ['/.git/refs/heads/main', `${'1'.repeat(40)}\n`],
        ['/.git/config', `[core]\n\tfsmonitor = touch ${marker}\n`],
        ['/code.js', 'nested\n'],
      ];
      for (const [path, content] of files) writeFileSync(under(ws, nested, path), content);
      execFileSync('chown', ['-R', `${SANDBOX_UID}:${SANDBOX_UID}`, ws]);
      write(ws, 'src/app.js', 'one\n');

      const first = await checkpoint(id);
      expect(treeOf(id, first.commitHash)).toEqual(['src/app.js']);
      // Had the gitlink stayed, this add would run `git status` inside the nested repository.
      write(ws, 'src/app.js', 'two\n');
      writeFileSync(under(ws, nested, '/code.js'), 'changed\n');
      const second = await checkpoint(id);
      expect(treeOf(id, second.commitHash)).toEqual(['src/app.js']);
      expect(existsSync(marker)).toBe(false);
    });

    it('should leave out a file above GIT_CHECKPOINT_MAX_FILE_MB whose name is not UTF-8, and report it', async () => {
      const { id, ws } = await newSession();
      const large = notUtf8('model-');
      const size = 65 * 1024 * 1024; // above the default 64 MiB; sparse, so it takes no room
      writeFileSync(under(ws, large), '');
      truncateSync(under(ws, large), size);
      write(ws, 'notes.txt', 'v1\n');

      const reply = await checkpoint(id);
      expect(reply.skippedFiles).toEqual([{ path: large.toString('utf8'), size }]);
      expect(treeOf(id, reply.commitHash)).toEqual(['notes.txt']);
    });

    it('should give files a restore writes under names that are not UTF-8 back to the sandbox user', async () => {
      const { id, ws } = await newSession();
      const dir = notUtf8('dir-');
      const inDir = Buffer.concat([under(ws, dir, '/'), notUtf8('file-')]);
      const top = under(ws, notUtf8('top-'));
      mkdirSync(under(ws, dir));
      writeFileSync(inDir, 'v1\n');
      writeFileSync(top, 'v1\n');
      execFileSync('chown', ['-R', `${SANDBOX_UID}:${SANDBOX_UID}`, ws]);
      const target = await checkpoint(id);
      rmSync(under(ws, dir), { recursive: true });
      writeFileSync(top, 'v2\n');

      expect((await api.restore(id, target.commitHash)).status).toBe(201);
      expect(readFileSync(inDir, 'utf8')).toBe('v1\n');
      expect(readFileSync(top, 'utf8')).toBe('v1\n');
      for (const path of [under(ws, dir), inDir, top]) expect(lstatSync(path).uid).toBe(SANDBOX_UID);
    });
  });

  describe('gateway delivery', () => {
    it('should deliver every checkpoint to the gateway once it comes back up', async () => {
      const { id, ws } = await newSession();
      const hashes: string[] = [];
      for (let i = 0; i < 3; i++) {
        write(ws, `f${i}.txt`, `${i}\n`);
        hashes.push((await checkpoint(id, { description: `c${i}`, messageNumber: i })).commitHash);
      }
      // The gateway has been down so far: nothing could be delivered.
      const gateway = await fakeGateway(gatewayPort);
      try {
        const received = await eventually(() => {
          const mine = gateway.received.filter((body) => body.sessionId === id);
          return mine.length >= 3 ? mine : undefined;
        });
        expect(received).toEqual(hashes.map((commitHash, i) => ({ sessionId: id, commitHash, filesChanged: 1, messageNumber: i, description: `c${i}` })));
        // Every checkpoint any test recorded reaches the gateway too, exactly as listed.
        const all: string[] = [];
        for (const session of sessions) all.push(...((await api.checkpoints(session, '?limit=100')).body as CheckpointPage).checkpoints.map((c) => c.commitHash));
        await eventually(() => (all.every((hash) => gateway.received.some((body) => body.commitHash === hash)) ? true : undefined));
      } finally {
        await new Promise((resolve) => gateway.server.close(resolve));
      }
    });
  });
});
