import { Injectable, OnModuleInit } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync } from 'node:fs';
import { ManagerConfig } from '../../config/manager-config';

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

export interface GitOutput {
  stdout: Buffer;
  stderr: string;
  /** stdout was cut at `maxBytes` (only with `truncate`). */
  truncated: boolean;
}

/** Git exited non-zero (or was killed): its exit code and both streams, for the caller to read. */
export class GitCommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: Buffer,
    readonly stderr: string,
    reason?: string,
  ) {
    super(`git ${command} ${reason ?? `exited with ${exitCode}`}: ${stderr.trim().slice(0, 2_000)}`);
    this.name = GitCommandError.name;
  }
}

/** A cap on path listings and other output read as bytes: far above what a workspace's inodes can name. */
export const GIT_OUTPUT_MAX_BYTES = 128 * 1024 * 1024;
const STDERR_MAX_BYTES = 64 * 1024;
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
 */
@Injectable()
export class GitRunner implements OnModuleInit {
  private readonly bwrap: string;
  private readonly hostPath: string;
  private readonly timeoutMs: number;
  /** bwrap's arguments common to every call: namespaces, capabilities, the read-only system. */
  private readonly namespace: string[];

  constructor(config: ManagerConfig) {
    this.bwrap = config.bwrapBinary;
    this.hostPath = config.hostPath;
    this.timeoutMs = config.gitCommandTimeoutMs;
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
  }

  /** Runs `git <args>` against `repo`, confined. Rejects with GitCommandError unless git exits 0. */
  run(repo: RepoLocation, args: string[], { input, cwd = repo.gitDir, withRepo = true, maxBytes, truncate }: GitRunOptions = {}): Promise<GitOutput> {
    return this.spawn(args, { cwd, env: this.environment(repo, withRepo), binds: ['--bind', repo.volume, repo.volume], input, maxBytes, truncate });
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
    const command = args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? args[0] ?? '';
    return new Promise((resolve, reject) => {
      const child = spawn(this.bwrap, [...this.namespace, ...binds, '--chdir', cwd, '--', 'git', ...args], {
        cwd: '/',
        env,
        stdio: 'pipe',
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let stdoutBytes = 0;
      let stderrBytes = 0;
      let truncated = false;
      let failure: string | undefined;
      const timer = setTimeout(() => {
        failure = `produced no output for ${this.timeoutMs} ms`;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        timer.refresh();
        if (truncated) return;
        if (stdoutBytes + chunk.length > maxBytes) {
          stdout.push(chunk.subarray(0, maxBytes - stdoutBytes));
          stdoutBytes = maxBytes;
          truncated = true;
          if (!truncate) failure = `printed more than ${maxBytes} bytes`;
          child.kill('SIGKILL');
          return;
        }
        stdout.push(chunk);
        stdoutBytes += chunk.length;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        timer.refresh();
        if (stderrBytes < STDERR_MAX_BYTES) stderr.push(chunk.subarray(0, STDERR_MAX_BYTES - stderrBytes));
        stderrBytes += chunk.length;
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const output = { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8'), truncated };
        if (failure) reject(new GitCommandError(command, code, output.stdout, output.stderr, failure));
        else if (code === 0 || (truncated && truncate)) resolve(output);
        else reject(new GitCommandError(command, code, output.stdout, output.stderr));
      });
      // Git may exit before reading all of its input (an error on the first path): not a failure of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
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
