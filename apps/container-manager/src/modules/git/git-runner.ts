import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ManagerConfig } from '../../config/manager-config';
import { GIT_HOST_AGENT_PATH, GIT_HOST_FLAG, GitCommandError, GitHost, GitOutput, GitOutputCollector } from './git-host';

export { GitCommandError } from './git-host';
export type { GitOutput } from './git-host';

/**
 * A session's repository: metadata outside the sandbox's reach, work tree = the (hostile) workspace,
 * both inside `volume` (the session's own filesystem), the only host directory git ever sees.
 */
export interface RepoLocation {
  volume: string;
  gitDir: string;
  workTree: string;
}

export interface GitRunOptions {
  /** What git reads on stdin. */
  input?: Buffer;
  /** Where git starts (inside the volume); default the git dir. */
  cwd?: string;
  /** false: no GIT_DIR/GIT_WORK_TREE (init, run from `cwd`). */
  withRepo?: boolean;
  /** Most stdout kept; beyond it git is killed and the call fails, unless `truncate`. */
  maxBytes?: number;
  /** true: output beyond `maxBytes` is dropped (git killed), and what came before is returned. */
  truncate?: boolean;
}

/** A cap on path listings and other output read as bytes: far above what a workspace's inodes can name. */
export const GIT_OUTPUT_MAX_BYTES = 128 * 1024 * 1024;
/**
 * Git runs as root, reading files the sandbox (uid 1000) owns and writing into its directories
 * (restore, even in sticky ones): those two capabilities, none of the rest (no mount, no chown, no
 * ptrace...). bwrap sets no_new_privs as well.
 */
const CAPABILITIES = ['CAP_DAC_OVERRIDE', 'CAP_FOWNER'];
/** Top-level paths a binary under /usr may need: on a merged-/usr system each is a link into /usr. */
const ROOT_ENTRIES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
/** Where git looks for global config and attributes: a path that exists in no namespace git runs in. */
const NO_HOME = '/nonexistent';

/**
 * Every git process the manager starts for a session runs here, inside its own mount namespace
 * (bubblewrap) holding only `/usr` (read-only, with the usual links such as `/lib -> usr/lib`),
 * `/dev/null`, `/dev/urandom`, and the session's volume bound at its own host path. Git's symlink checks are
 * path-based (lstat, then open by path), and the sandbox can swap a directory for a symlink in
 * between; in this namespace any path, whatever symlinks the sandbox plants and however it races, resolves to
 * the session's own volume, to `/usr`, or to nothing: never to a host file (no /etc, /root, /proc,
 * other sessions, the data dir beyond the volume).
 *
 * Within it the rules of the repository still hold: explicit GIT_DIR/GIT_WORK_TREE (never discovery,
 * so a planted `.git` is just a directory), a fixed config, no system/global config, no HOME, no hooks.
 * The environment below is git's whole environment; arguments are fixed by the callers (paths go on
 * stdin, the only free text is one `--message=` element).
 *
 * The namespace is made once per repository, not once per git process: with the sandbox agent's
 * binary configured, the first git call of a session starts a git host (git-host.ts: the agent in
 * its stdio mode, in that namespace), and every git process of the session is an exec in it, until
 * the host has been idle for GIT_HOST_IDLE_MS, the repository is removed, or the manager stops.
 * Without the agent binary each git process gets a namespace of its own (bwrap → git), as confined.
 */
@Injectable()
export class GitRunner implements OnModuleInit, OnApplicationShutdown {
  private readonly bwrap: string;
  private readonly hostPath: string;
  private readonly timeoutMs: number;
  private readonly agentBinary: string | null;
  private readonly hostIdleMs: number;
  /** bwrap's arguments common to every call: namespaces, capabilities, the read-only system. */
  private readonly namespace: string[];
  /** The live git host of each volume, with what was mounted there when it started. */
  private readonly hosts = new Map<string, { host: GitHost; mounted: string | null }>();

  constructor(config: ManagerConfig) {
    this.bwrap = config.bwrapBinary;
    this.hostPath = config.hostPath;
    this.timeoutMs = config.gitCommandTimeoutMs;
    this.agentBinary = config.agentBinary;
    this.hostIdleMs = config.gitHostIdleMs;
    this.namespace = [
      '--die-with-parent',
      '--unshare-ipc',
      '--unshare-pid',
      '--cap-drop',
      'ALL',
      ...CAPABILITIES.flatMap((capability) => ['--cap-add', capability]),
      '--ro-bind',
      '/usr',
      '/usr',
      ...ROOT_ENTRIES.flatMap(rootEntry),
      // The two devices git opens: /dev/null, and /dev/urandom for its temporary files' names.
      '--dev-bind',
      '/dev/null',
      '/dev/null',
      '--dev-bind',
      '/dev/urandom',
      '/dev/urandom',
    ];
  }

  /** Fails startup, clearly, when git cannot run confined: there is no unconfined fallback. */
  async onModuleInit(): Promise<void> {
    let version: string;
    try {
      version = (await this.spawn(['--version'], { cwd: '/', env: { PATH: this.hostPath, LC_ALL: 'C' }, binds: [] })).stdout.toString('utf8').trim();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${this.bwrap} does not exist` : (error as Error).message;
      throw new Error(
        `git must run confined by bubblewrap, and it cannot: ${reason}. Install the Debian package bubblewrap (scripts/infra/up.sh does) or set BWRAP_BINARY; the manager needs root (CAP_SYS_ADMIN) to create mount namespaces, and git under /usr.`,
      );
    }
    if (!version.startsWith('git version')) throw new Error(`git confined by ${this.bwrap} printed ${JSON.stringify(version.slice(0, 200))}, not its version`);
    if (!this.agentBinary) return;
    // The same through a git host (bound to no volume): the agent binary must know its stdio mode.
    const host = this.startHost([], 'startup check');
    try {
      await host.run({ command: '--version', args: ['--version'], cwd: '/', env: { PATH: this.hostPath, LC_ALL: 'C' }, maxBytes: 4_096, truncate: false, timeoutMs: this.timeoutMs });
    } catch (error) {
      throw new Error(`git must run in a git host (SANDBOX_AGENT_BINARY ${this.agentBinary} ${GIT_HOST_FLAG}, confined by bubblewrap), and it cannot: ${(error as Error).message}. Rebuild the agent (scripts/infra/agent.sh).`);
    } finally {
      host.close();
    }
  }

  onApplicationShutdown(): void {
    for (const { host } of [...this.hosts.values()]) host.close();
  }

  /** Runs `git <args>` against `repo`, confined. Rejects with GitCommandError unless git exits 0. */
  run(repo: RepoLocation, args: string[], { input, cwd = repo.gitDir, withRepo = true, maxBytes = GIT_OUTPUT_MAX_BYTES, truncate = false }: GitRunOptions = {}): Promise<GitOutput> {
    const env = this.environment(repo, withRepo);
    const binds = ['--bind', repo.volume, repo.volume];
    if (!this.agentBinary) return this.spawn(args, { cwd, env, binds, input, maxBytes, truncate });
    return this.hostOf(repo.volume).run({ command: commandName(args), args, cwd, env, input, maxBytes, truncate, timeoutMs: this.timeoutMs });
  }

  /** Closes the repository's git host, if one runs (the repository or the session is going away). */
  release(repo: RepoLocation): void {
    this.hosts.get(repo.volume)?.host.close();
  }

  /** The process (bwrap, on the host) of the volume's git host while one runs. */
  hostPid(repo: RepoLocation): number | undefined {
    return this.hosts.get(repo.volume)?.host.pid;
  }

  /**
   * The volume's running host, or a new one. A host keeps the volume it was started with: when
   * another filesystem is mounted there since (the volume unmounted and mounted again), it is
   * replaced, so git never writes into a filesystem nobody else sees any more.
   */
  private hostOf(volume: string): GitHost {
    const mounted = mountedAt(volume);
    const current = this.hosts.get(volume);
    if (current?.host.isOpen && current.mounted !== null && current.mounted === mounted) return current.host;
    current?.host.close();
    const host = this.startHost(['--bind', volume, volume], basename(volume), () => {
      if (this.hosts.get(volume)?.host === host) this.hosts.delete(volume);
    });
    this.hosts.set(volume, { host, mounted });
    return host;
  }

  private startHost(binds: string[], label: string, onClosed: () => void = () => undefined): GitHost {
    const args = [...this.namespace, ...binds, '--ro-bind', this.agentBinary!, GIT_HOST_AGENT_PATH, '--chdir', '/', '--', GIT_HOST_AGENT_PATH, GIT_HOST_FLAG];
    return new GitHost(this.bwrap, args, label, this.hostIdleMs, onClosed);
  }

  /** The only environment git runs with. */
  private environment(repo: RepoLocation, withRepo: boolean): Record<string, string> {
    return {
      PATH: this.hostPath,
      HOME: NO_HOME,
      XDG_CONFIG_HOME: NO_HOME,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_ATTR_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_NO_REPLACE_OBJECTS: '1',
      GIT_CEILING_DIRECTORIES: repo.volume,
      ...(withRepo ? { GIT_DIR: repo.gitDir, GIT_WORK_TREE: repo.workTree } : {}),
    };
  }

  /**
   * bwrap → git. Killed (with everything it started: pid namespace, die-with-parent) after
   * GIT_COMMAND_TIMEOUT_MS without output, or when stdout passes `maxBytes`.
   */
  private spawn(
    args: string[],
    { cwd, env, binds, input, maxBytes = GIT_OUTPUT_MAX_BYTES, truncate = false }: { cwd: string; env: Record<string, string>; binds: string[]; input?: Buffer; maxBytes?: number; truncate?: boolean },
  ): Promise<GitOutput> {
    const command = commandName(args);
    return new Promise((resolve, reject) => {
      const child = spawn(this.bwrap, [...this.namespace, ...binds, '--chdir', cwd, '--', 'git', ...args], {
        cwd: '/',
        env,
        stdio: 'pipe',
      });
      const collected = new GitOutputCollector(command, maxBytes, truncate);
      const timer = setTimeout(() => {
        collected.failure = `produced no output for ${this.timeoutMs} ms`;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        timer.refresh();
        if (!collected.addStdout(chunk)) child.kill('SIGKILL');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        timer.refresh();
        collected.addStderr(chunk);
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const outcome = collected.outcome(code);
        if (outcome instanceof GitCommandError) reject(outcome);
        else resolve(outcome);
      });
      // Git may exit before reading all of its input (an error on the first path): not a failure of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
  }
}

/** The subcommand, for error messages. */
function commandName(args: string[]): string {
  return args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? args[0] ?? '';
}

/** Which filesystem and directory are at `path` now (device and inode); null when nothing is. */
function mountedAt(path: string): string | null {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return null;
  }
}

/** How `/name` appears in the namespace: the same link as on the host, the directory read-only, or absent. */
function rootEntry(name: string): string[] {
  const path = `/${name}`;
  try {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
    if (stats.isDirectory()) return ['--ro-bind', path, path];
  } catch {
    // absent on this system
  }
  return [];
}
