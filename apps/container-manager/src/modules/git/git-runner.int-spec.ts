import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { eventually, requireStackVar } from '@sandbox/testing';
import type { ManagerConfig } from '../../config/manager-config';
import { gitDir, volumeDir, workspaceDir } from '../../common/paths';
import { GitCommandError, GitRunner, RepoLocation } from './git-runner';
import { GitRepository } from './git.repository';

/** The processes below `pid` (from /proc): pid and command name. */
function descendants(pid: number): { pid: number; comm: string }[] {
  const parents = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const end = stat.lastIndexOf(')');
      parents.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, end), ppid: Number(stat.slice(end + 2).split(' ')[1]) });
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; comm: string }[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const parent = queue.shift();
    for (const [child, { ppid, comm }] of parents) {
      if (ppid !== parent) continue;
      found.push({ pid: child, comm });
      queue.push(child);
    }
  }
  return found;
}

/** Whether a process runs (a reaped one has no /proc entry). */
function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Git's object id of a blob: what `hash-object` prints when it read exactly `content`. */
function blobId(content: string): string {
  return createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0${content}`).digest('hex');
}

describe(GitRunner.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'git-runner-'));
  const hostDir = mkdtempSync(join(tmpdir(), 'git-runner-host-'));
  const secret = `host secret ${randomUUID()}\n`;
  const config = {
    bwrapBinary: '/usr/bin/bwrap',
    hostPath: '/usr/bin:/bin',
    gitCommandTimeoutMs: 30_000,
    agentBinary: requireStackVar('SANDBOX_AGENT_BINARY'),
    gitHostIdleMs: 30_000,
  } as ManagerConfig;
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
    runner.onApplicationShutdown();
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

  describe('git host', () => {
    /** A runner of its own (other settings), shut down after `fn`. */
    async function withRunner(settings: Partial<ManagerConfig>, fn: (runner: GitRunner) => Promise<void>): Promise<void> {
      const own = new GitRunner({ ...config, ...settings });
      try {
        await fn(own);
      } finally {
        own.onApplicationShutdown();
      }
    }
    /** A git command that runs until killed, through a command-line alias (git runs `sh -c`). */
    const waiting = ['-c', 'alias.wait=!sleep 600', 'wait'];
    /** The processes of `comm` in the host's namespace, once there are. */
    const processesOf = (hostPid: number, comm: string) => eventually(() => descendants(hostPid).filter((p) => p.comm === comm), (found) => found.length > 0, `${comm} in the git host`);

    it('should run every git command of a repository in one host, one after the other and at once, in one pid namespace', async () => {
      // Git's pid inside the namespace, as the shell of an alias sees its parent: each one-shot bwrap would make it 2.
      const gitPid = async () => Number((await runner.run(repo, ['-c', 'alias.ppid=!echo $PPID', 'ppid'])).stdout.toString('utf8').trim());
      const first = await gitPid();
      const hostPid = runner.hostPid(repo);
      expect(hostPid).toBeDefined();
      const pids = [first];
      for (let i = 0; i < 5; i++) pids.push(await gitPid());
      const contents = Array.from({ length: 6 }, (_, i) => `concurrent input ${i}\n`.repeat(i * 5_000 + 1));
      const hashes = await Promise.all(contents.map((content) => runner.run(repo, ['hash-object', '--stdin'], { input: Buffer.from(content) })));
      expect(hashes.map(({ stdout }) => stdout.toString('utf8').trim())).toEqual(contents.map(blobId));
      pids.push(await gitPid());
      expect(runner.hostPid(repo)).toBe(hostPid);
      expect(new Set(pids).size).toBe(pids.length);
      expect(Math.min(...pids)).toBeGreaterThan(2);
      // One bwrap of ours per repository: this one's, and the other session's own.
      await runner.run(other, ['--version'], { cwd: other.volume, withRepo: false });
      const ours = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(' ').map(Number);
      const bindsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(ours.filter((pid) => bindsOf(pid).includes(repo.volume))).toEqual([hostPid]);
      expect(ours.filter((pid) => bindsOf(pid).includes(other.volume))).toEqual([runner.hostPid(other)]);
      expect(bindsOf(hostPid!)).toEqual(expect.arrayContaining(['--bind', repo.volume, '--serve-stdio']));
    });

    it("should fail the commands in flight with GitCommandError when the host is killed, and start a new host for the next", async () => {
      await runner.run(repo, ['--version'], { withRepo: false });
      const hostPid = runner.hostPid(repo)!;
      const inFlight = [runner.run(repo, waiting), runner.run(repo, waiting)];
      await processesOf(hostPid, 'sleep');
      process.kill(hostPid, 'SIGKILL');
      for (const call of inFlight) await expect(call).rejects.toThrow(GitCommandError);
      await expect(inFlight[0]).rejects.toThrow(/git wait failed: its git host \(.*\) exited/);
      expect(await hashInRunner('own.txt')).toBe(blobId('the session its own file\n'));
      expect(runner.hostPid(repo)).not.toBe(hostPid);
    });

    it('should close a host that stays idle for GIT_HOST_IDLE_MS, and start a new one for the next command', async () => {
      await withRunner({ gitHostIdleMs: 200 }, async (own) => {
        await own.run(repo, ['status', '--porcelain']);
        const hostPid = own.hostPid(repo)!;
        expect(alive(hostPid)).toBe(true);
        await eventually(() => own.hostPid(repo), (pid) => pid === undefined, 'host of an idle repository');
        await eventually(() => alive(hostPid), (running) => !running, 'idle host process');
        await own.run(repo, ['status', '--porcelain']);
        expect(own.hostPid(repo)).not.toBe(hostPid);
      });
    });

    it('should close the host, and what runs in it, when the repository is removed', async () => {
      const removed = session(randomUUID());
      mkdirSync(removed.workTree, { recursive: true });
      const repository = new GitRepository(runner);
      await repository.init(removed);
      const hostPid = runner.hostPid(removed)!;
      expect(alive(hostPid)).toBe(true);
      const inFlight = runner.run(removed, waiting);
      const failed = expect(inFlight).rejects.toThrow(GitCommandError);
      await processesOf(hostPid, 'sleep');
      await repository.remove(removed);
      await failed;
      expect(runner.hostPid(removed)).toBeUndefined();
      await eventually(() => alive(hostPid), (running) => !running, 'host of a removed repository');
    });

    it('should kill git once its output passes maxBytes (failing, or cut with truncate) or after GIT_COMMAND_TIMEOUT_MS without output, keeping the host', async () => {
      await withRunner({ gitCommandTimeoutMs: 1_000 }, async (own) => {
        const endless = ['-c', 'alias.endless=!yes', 'endless'];
        await own.run(repo, ['--version'], { withRepo: false });
        const hostPid = own.hostPid(repo)!;
        await expect(own.run(repo, endless, { maxBytes: 100_000 })).rejects.toThrow(/git endless printed more than 100000 bytes/);
        const cut = await own.run(repo, endless, { maxBytes: 100_000, truncate: true });
        expect(cut).toMatchObject({ truncated: true });
        expect(cut.stdout).toEqual(Buffer.from('y\n'.repeat(50_000)));
        await expect(own.run(repo, waiting)).rejects.toThrow(/git wait produced no output for 1000 ms/);
        // Left in the namespace: bwrap's init and the agent, nothing git started.
        await eventually(() => descendants(hostPid).map(({ comm }) => comm), (left) => left.join() === 'bwrap,agent', 'processes left in the host');
        expect(own.hostPid(repo)).toBe(hostPid);
      });
    });

    it('should run each git process under its own bwrap when there is no agent binary, with the same bounds on output and time', async () => {
      await withRunner({ agentBinary: undefined, gitCommandTimeoutMs: 1_000 }, async (own) => {
        const endless = ['-c', 'alias.endless=!yes', 'endless'];
        // No host: git is the first process of its own namespace after bwrap's init (in a host it comes after the agent).
        expect((await own.run(repo, ['-c', 'alias.ppid=!echo $PPID', 'ppid'])).stdout.toString('utf8').trim()).toBe('2');
        expect(own.hostPid(repo)).toBeUndefined();
        await expect(own.run(repo, endless, { maxBytes: 100_000 })).rejects.toThrow(/git endless printed more than 100000 bytes/);
        const cut = await own.run(repo, endless, { maxBytes: 100_000, truncate: true });
        expect(cut).toMatchObject({ truncated: true });
        expect(cut.stdout).toEqual(Buffer.from('y\n'.repeat(50_000)));
        await expect(own.run(repo, waiting)).rejects.toThrow(/git wait produced no output for 1000 ms/);
        await expect(own.run(repo, ['rev-parse', '--verify', 'no-such-ref'])).rejects.toMatchObject({ name: 'GitCommandError', exitCode: 128 });
      });
    });

    it("should give git only CAP_DAC_OVERRIDE and CAP_FOWNER, and exactly the runner's environment", async () => {
      await runner.run(repo, ['--version'], { withRepo: false });
      const hostPid = runner.hostPid(repo)!;
      const inFlight = runner.run(repo, waiting);
      const [git] = await processesOf(hostPid, 'git');
      const status = readFileSync(`/proc/${git.pid}/status`, 'utf8');
      const environ = readFileSync(`/proc/${git.pid}/environ`, 'utf8');
      runner.release(repo);
      await expect(inFlight).rejects.toThrow(GitCommandError);
      // Bits 1 (CAP_DAC_OVERRIDE) and 3 (CAP_FOWNER).
      for (const set of ['CapPrm', 'CapEff']) expect(status).toMatch(new RegExp(`^${set}:\\s+000000000000000a$`, 'm'));
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(
        environ
          .split('\0')
          .filter(Boolean)
          .sort(),
      ).toEqual(
        [
          `PATH=${config.hostPath}`,
          'HOME=/nonexistent',
          'XDG_CONFIG_HOME=/nonexistent',
          'LC_ALL=C',
          'GIT_CONFIG_NOSYSTEM=1',
          'GIT_ATTR_NOSYSTEM=1',
          'GIT_TERMINAL_PROMPT=0',
          'GIT_NO_REPLACE_OBJECTS=1',
          `GIT_CEILING_DIRECTORIES=${repo.volume}`,
          `GIT_DIR=${repo.gitDir}`,
          `GIT_WORK_TREE=${repo.workTree}`,
        ].sort(),
      );
    });
  });

  it('should refuse to start, naming bubblewrap, when bwrap is missing', async () => {
    const missing = new GitRunner({ ...config, bwrapBinary: join(hostDir, 'no-such-bwrap') });
    await expect(missing.onModuleInit()).rejects.toThrow(/git must run confined by bubblewrap, and it cannot: .*no-such-bwrap does not exist\. Install the Debian package bubblewrap/);
  });
});
