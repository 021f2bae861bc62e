import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ManagerConfig } from '../../config/manager-config';
import { gitDir, volumeDir, workspaceDir } from '../../common/paths';
import { GitCommandError, GitRunner, RepoLocation } from './git-runner';

/** Git's object id of a blob: what `hash-object` prints when it read exactly `content`. */
function blobId(content: string): string {
  return createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0${content}`).digest('hex');
}

describe(GitRunner.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'git-runner-'));
  const hostDir = mkdtempSync(join(tmpdir(), 'git-runner-host-'));
  const secret = `host secret ${randomUUID()}\n`;
  const config = { bwrapBinary: '/usr/bin/bwrap', hostPath: '/usr/bin:/bin', gitCommandTimeoutMs: 30_000 } as ManagerConfig;
  const runner = new GitRunner(config);
  const session = (id: string): RepoLocation => ({ volume: volumeDir(dataDir, id), gitDir: gitDir(dataDir, id), workTree: workspaceDir(dataDir, id) });
  const repo = session(randomUUID());
  const other = session(randomUUID());
  /** Plain git in the workspace, as the manager ran it before: same environment, no namespace. */
  const plainGit = (args: string[]) =>
    execFileSync('git', args, { cwd: repo.workTree, env: { PATH: config.hostPath, HOME: hostDir, GIT_CONFIG_NOSYSTEM: '1', GIT_DIR: repo.gitDir, GIT_WORK_TREE: repo.workTree } })
      .toString('utf8')
      .trim();
  const hashInRunner = async (path: string) => (await runner.run(repo, ['hash-object', '--no-filters', path], { cwd: repo.workTree })).stdout.toString('utf8').trim();

  beforeAll(async () => {
    await runner.onModuleInit();
    writeFileSync(join(hostDir, 'secret.txt'), secret);
    for (const { workTree } of [repo, other]) mkdirSync(workTree, { recursive: true });
    writeFileSync(join(other.workTree, 'secret.txt'), secret);
    await runner.run(repo, ['init', '--quiet', '--bare', repo.gitDir], { cwd: repo.volume, withRepo: false });
    // What a sandbox can plant: links to the host directory, absolute and relative (through the data dir).
    symlinkSync(hostDir, join(repo.workTree, 'absolute'));
    symlinkSync(relative(repo.workTree, hostDir), join(repo.workTree, 'relative'));
    writeFileSync(join(repo.workTree, 'own.txt'), 'the session its own file\n');
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('should not let git read a host file through a symlink in the workspace, which plain git reads', async () => {
    for (const link of ['absolute', 'relative']) {
      // Control: git outside the namespace follows the link to the host file.
      expect(plainGit(['hash-object', '--no-filters', `${link}/secret.txt`])).toBe(blobId(secret));
      await expect(hashInRunner(`${link}/secret.txt`)).rejects.toThrow(GitCommandError);
    }
    expect(await hashInRunner('own.txt')).toBe(blobId('the session its own file\n'));
  });

  it('should show git nothing of the host but /usr: no /etc, /proc, data dir or other session', async () => {
    for (const path of ['/etc/passwd', '/etc/hostname', '/proc/self/environ', '/root/.bashrc', join(hostDir, 'secret.txt'), join(other.workTree, 'secret.txt')]) {
      await expect(hashInRunner(path)).rejects.toThrow(/could not open|Unable to hash|No such file/);
    }
    expect(await hashInRunner(join(repo.workTree, 'own.txt'))).toBe(blobId('the session its own file\n'));
  });

  it('should refuse to start, naming bubblewrap, when bwrap is missing', async () => {
    const missing = new GitRunner({ ...config, bwrapBinary: join(hostDir, 'no-such-bwrap') });
    await expect(missing.onModuleInit()).rejects.toThrow(/git must run confined by bubblewrap, and it cannot: .*no-such-bwrap does not exist\. Install the Debian package bubblewrap/);
  });
});
