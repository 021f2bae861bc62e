import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { GitCheckpoint, SandboxStatus } from '@sandbox/contracts';
import { ManagerHarness, mountsUnder, startManager } from '../../../test/support/manager-harness';
import { gitDir, volumeDir, volumeImage, workspaceDir } from '../../common/paths';
import { WorkspaceRepository } from '../../repositories/workspace.repository';

const QUOTA_MB = 32;
const CHECKPOINT_MAX_FILE_MB = 16;
const MIB = 1024 * 1024;

/** Blocks used on the host's own filesystem under `dir`, not counting other mounts (the volumes) or the volume images. */
function hostBytesUsed(dir: string): number {
  return Number(execFileSync('du', ['-s', '-x', '-B1', '--exclude=volume-images', dir]).toString().split('\t')[0]);
}

describe(WorkspaceRepository.name, () => {
  // Auto-commit off (its debounce longer than any test): each test decides when a checkpoint is taken.
  const env = { WORKSPACE_QUOTA_MB: String(QUOTA_MB), GIT_CHECKPOINT_MAX_FILE_MB: String(CHECKPOINT_MAX_FILE_MB), GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000', GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000' };
  let m: ManagerHarness;
  const ws = (id: string) => workspaceDir(m.dataDir, id);
  const image = (id: string) => volumeImage(m.dataDir, id);
  const volume = (id: string) => volumeDir(m.dataDir, id);
  const isMounted = (id: string) => mountsUnder(m.dataDir).includes(volume(id));

  beforeAll(async () => {
    m = await startManager(env);
  });
  afterAll(async () => m?.destroy());

  it('should stop a sandbox at its quota with "No space left on device" and keep the image within the quota', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    const mount = await m.client.exec(id, { command: "grep ' /workspace ' /proc/self/mounts" });
    expect(mount.stdout).toMatch(/ \/workspace ext4 rw,nosuid,nodev[, ]/);

    const big = await m.client.exec(id, { command: 'dd if=/dev/zero of=/workspace/big bs=1M count=64', timeoutMs: 30_000 });
    expect(big.exitCode).not.toBe(0);
    expect(big.stderr).toMatch(/No space left on device/);
    expect(statSync(image(id)).size).toBe(QUOTA_MB * 1024 * 1024);
    expect(statSync(image(id)).blocks * 512).toBeLessThanOrEqual(QUOTA_MB * 1024 * 1024);

    const small = await m.client.exec(id, { command: 'rm big && echo fits > small.txt && cat small.txt' });
    expect(small).toMatchObject({ exitCode: 0, stdout: 'fits\n' });
    // The filesystem's root (lost+found, the git history) is not the workspace: neither listings nor git see it.
    expect((await m.client.listFiles(id)).entries.map((entry) => entry.name)).toEqual(['small.txt']);
    expect((await m.client.gitStatus(id)).files.map((file) => file.path)).toEqual(['small.txt']);
    await m.client.deleteSession(id);
  });

  it('should answer a file write that does not fit with 413, keeping the file it would have replaced', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    await m.client.writeFile(id, 'keep.txt', Buffer.from('original'));
    // Fill the filesystem up to the last block (dd stops with ENOSPC), then try to replace keep.txt.
    // (1 MiB blocks first, then 4 KiB ones for the last partial megabyte).
    const fill = 'dd if=/dev/zero of=/workspace/fill bs=1M count=64; dd if=/dev/zero of=/workspace/fill2 bs=4k count=1024; sync';
    await m.client.exec(id, { command: `{ ${fill}; } 2>/dev/null`, timeoutMs: 30_000 });
    const res = await m.call('PUT', `/api/internal/sessions/${id}/files/content?path=keep.txt`, Buffer.alloc(256 * 1024, 1));
    expect(res).toMatchObject({ status: 413, json: { statusCode: 413, message: `The workspace is full (quota of ${QUOTA_MB} MB): keep.txt` } });
    expect((await m.client.readFile(id, 'keep.txt')).toString()).toBe('original');
    expect((await m.client.exec(id, { command: 'ls -a /workspace' })).stdout.split('\n').filter((name) => name.includes('sandbox-write'))).toEqual([]);
    await m.client.deleteSession(id);
  });

  it('should keep the git history inside the quota: checkpoints of a full session answer 413 and the host does not grow', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    const hostBefore = hostBytesUsed(m.dataDir);
    // Each version is 10 MB of random bytes (git cannot compress it): the workspace holds one at a
    // time, but every checkpoint keeps another copy in the history, which shares the quota.
    const statuses: number[] = [];
    for (let version = 0; version < 5 && !statuses.includes(413); version++) {
      await m.client.exec(id, { command: 'dd if=/dev/urandom of=/workspace/data.bin bs=1M count=10 2>/dev/null', timeoutMs: 30_000 });
      const res = await m.call('POST', `/api/internal/sessions/${id}/git/commit`, { description: `version ${version}` });
      statuses.push(res.status);
      if (res.status === 413) expect(res.json).toMatchObject({ message: `The workspace is full (quota of ${QUOTA_MB} MB): the checkpoint could not be written` });
    }
    expect(statuses).toContain(413);
    expect(statuses.every((status) => [200, 201, 413].includes(status))).toBe(true);
    expect(statSync(image(id)).blocks * 512).toBeLessThanOrEqual(QUOTA_MB * MIB);
    expect(hostBytesUsed(m.dataDir) - hostBefore).toBeLessThan(2 * MIB);

    // Room made in the workspace: checkpoints work again, and the session was never broken.
    await m.client.exec(id, { command: 'rm data.bin && echo small > small.txt' });
    const after = await m.call('POST', `/api/internal/sessions/${id}/git/commit`, { description: 'after cleanup' });
    expect(after.status).toBe(201);
    await m.client.deleteSession(id);
  });

  it('should leave files above the checkpoint size limit out of checkpoints, report them, and keep them through a restore', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    await m.client.writeFile(id, 'notes.txt', Buffer.from('v1'));
    const first = await m.client.commit(id, { description: 'notes' });
    expect(first).toMatchObject({ description: 'notes' });
    await m.client.exec(id, { command: `dd if=/dev/zero of=/workspace/model.bin bs=1M count=${CHECKPOINT_MAX_FILE_MB + 1} 2>/dev/null && echo v2 > notes.txt` });
    const res = await m.call('POST', `/api/internal/sessions/${id}/git/commit`, { description: 'with a large file' });
    expect(res.status).toBe(201);
    expect((res.json as GitCheckpoint).skippedFiles).toEqual([{ path: 'model.bin', size: (CHECKPOINT_MAX_FILE_MB + 1) * MIB }]);
    const head = (await m.client.gitStatus(id)).head!;
    const tree = execFileSync('git', [`--git-dir=${gitDir(m.dataDir, id)}`, 'ls-tree', '-r', '--name-only', head], { env: { PATH: process.env.PATH } }).toString();
    expect(tree.split('\n')).toContain('notes.txt');
    expect(tree).not.toContain('model.bin');

    await m.client.restore(id, (first as GitCheckpoint).commitHash);
    expect((await m.client.readFile(id, 'notes.txt')).toString()).toBe('v1');
    expect((await m.client.exec(id, { command: 'stat -c %s model.bin' })).stdout.trim()).toBe(String((CHECKPOINT_MAX_FILE_MB + 1) * MIB));
    await m.client.deleteSession(id);
  });

  it('should unmount the workspace and delete its image when the session is deleted', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    await m.client.exec(id, { command: 'echo x > file.txt' });
    expect(isMounted(id)).toBe(true);
    expect(existsSync(image(id))).toBe(true);

    await m.client.deleteSession(id);
    expect(isMounted(id)).toBe(false);
    expect(existsSync(image(id))).toBe(false);
    expect(existsSync(ws(id))).toBe(false);
  });

  it('should mount an unmounted workspace again when the session starts, with its files', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    await m.client.exec(id, { command: 'echo kept > note.txt' });
    await m.client.stopSession(id);
    execFileSync('umount', [volume(id)]); // what a host reboot does
    expect(existsSync(`${ws(id)}/note.txt`)).toBe(false);

    expect((await m.client.startSession(id)).status).toBe(SandboxStatus.Running);
    expect(isMounted(id)).toBe(true);
    expect((await m.client.exec(id, { command: 'cat note.txt' })).stdout).toBe('kept\n');
    await m.client.deleteSession(id);
  });

  it('should mount an unmounted workspace again when the manager restarts, before anything starts', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id });
    await m.client.exec(id, { command: 'echo kept > note.txt' });
    await m.client.stopSession(id);
    await m.close();
    execFileSync('umount', [volume(id)]);

    m = await startManager(env, m.dataDir);
    expect(isMounted(id)).toBe(true);
    expect(readFileSync(`${ws(id)}/note.txt`, 'utf8')).toBe('kept\n');
    expect((await m.client.getSession(id)).status).toBe(SandboxStatus.Stopped);
    await m.client.startSession(id);
    expect((await m.client.exec(id, { command: 'cat note.txt' })).stdout).toBe('kept\n');
    await m.client.deleteSession(id);
  });

  it('should fail a create it cannot give a filesystem with a clear error, leaving no image and no mount', async () => {
    const id = randomUUID();
    const images = volumeImage(m.dataDir, 'x').replace(/\/[^/]+$/, '');
    rmSync(images, { recursive: true, force: true });
    writeFileSync(images, 'not a directory'); // image creation fails
    try {
      const res = await m.call('POST', '/api/internal/sessions', { sessionId: id });
      expect(res).toMatchObject({ status: 500, json: { message: `Failed to start the sandbox of session ${id}` } });
      const session = await m.client.getSession(id);
      expect(session.status).toBe(SandboxStatus.Error);
      expect(session.errorReason).toMatch(`workspace filesystem of session ${id} could not be mounted`);
      expect(isMounted(id)).toBe(false);
    } finally {
      rmSync(images, { force: true });
    }
    // The gateway's retry of the failed create then succeeds.
    expect((await m.call('POST', '/api/internal/sessions', { sessionId: id })).status).toBe(200);
    expect(isMounted(id)).toBe(true);
    await m.client.deleteSession(id);
    expect(existsSync(image(id))).toBe(false);
  });
});
