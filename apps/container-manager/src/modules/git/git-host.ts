import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { AgentChannel, AgentConnection } from '../../repositories/sandbox-agent/agent-connection';
import { AgentRequestError, DATA_CHUNK_BYTES, FrameType, parseObject } from '../../repositories/sandbox-agent/agent-protocol';

/** Where the agent binary is bound, read-only, inside a git host's namespace. */
export const GIT_HOST_AGENT_PATH = '/opt/sbx/agent';
/** The agent's mode that serves the protocol on its stdin/stdout, execs only (sandbox-agent/host.go). */
export const GIT_HOST_FLAG = '--serve-stdio';
/** How long a killed git may take to report its exit before its whole host is closed. */
const KILL_GRACE_MS = 5_000;
/** What the host itself may print (bwrap's or the agent's own errors): kept for the error message. */
const HOST_STDERR_MAX_BYTES = 4 * 1024;
/** Most of git's stderr kept (for error messages). */
export const GIT_STDERR_MAX_BYTES = 64 * 1024;

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

/**
 * What one git process printed, within bounds, and how it ended: stdout kept up to `maxBytes` (past it,
 * cut, and a failure unless `truncate`), stderr up to GIT_STDERR_MAX_BYTES. The same for a git process
 * in a git host and for one spawned under its own bwrap.
 */
export class GitOutputCollector {
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private stdoutBytes = 0;
  private stderrBytes = 0;
  private truncated = false;
  /** Why the process failed whatever its exit code: the stdout cap, or the caller's (a timeout). */
  failure: string | undefined;

  constructor(
    private readonly command: string,
    private readonly maxBytes: number,
    private readonly truncate: boolean,
  ) {}

  /** Keeps a chunk of stdout. False when this chunk passed the cap: the process is to be killed. */
  addStdout(chunk: Buffer): boolean {
    if (this.truncated) return true;
    if (this.stdoutBytes + chunk.length > this.maxBytes) {
      this.stdout.push(chunk.subarray(0, this.maxBytes - this.stdoutBytes));
      this.stdoutBytes = this.maxBytes;
      this.truncated = true;
      if (!this.truncate) this.failure = `printed more than ${this.maxBytes} bytes`;
      return false;
    }
    this.stdout.push(chunk);
    this.stdoutBytes += chunk.length;
    return true;
  }

  addStderr(chunk: Buffer): void {
    if (this.stderrBytes < GIT_STDERR_MAX_BYTES) this.stderr.push(chunk.subarray(0, GIT_STDERR_MAX_BYTES - this.stderrBytes));
    this.stderrBytes += chunk.length;
  }

  /** How a process that ended with `exitCode` did: its output, or a GitCommandError unless it succeeded (or was cut with `truncate`). */
  outcome(exitCode: number | null, reason = this.failure): GitOutput | GitCommandError {
    const output = { stdout: Buffer.concat(this.stdout), stderr: Buffer.concat(this.stderr).toString('utf8'), truncated: this.truncated };
    if (reason) return new GitCommandError(this.command, exitCode, output.stdout, output.stderr, reason);
    if (exitCode === 0 || (this.truncated && this.truncate)) return output;
    return new GitCommandError(this.command, exitCode, output.stdout, output.stderr);
  }
}

/** One git process: argv after `git`, and everything GitRunner decided about it. */
export interface GitExec {
  /** The subcommand, for error messages. */
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  input?: Buffer;
  maxBytes: number;
  truncate: boolean;
  /** Killed after this long without output. */
  timeoutMs: number;
}

/**
 * A child's stdin and stdout as one stream, what an AgentConnection runs over. Destroying it kills
 * the child (bwrap: with --die-with-parent, everything in its namespace goes with it); the child's
 * exit destroys it.
 */
class ChildStdio extends Duplex {
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super();
    child.stdout.on('data', (chunk: Buffer) => this.push(chunk));
    // Writes to a host that died fail; its exit is what says so.
    child.stdin.on('error', () => undefined);
    // 'close': after its last output (and bwrap's last words on stderr) are read.
    child.on('close', () => this.destroy());
    child.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    // Data is pushed as it arrives; the connection reads in flowing mode.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.child.stdin.write(chunk, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.child.kill('SIGKILL');
    callback(error);
  }
}

/**
 * One long-lived confined process serving the git processes of one session's repository: the sandbox
 * agent in its git host mode, started by bwrap in the namespace git is confined to, so that namespace
 * is created once per host instead of once per git process. Each git process is a START (exec) on the
 * agent's stdio, a pipe only this process holds. Everything the host sends is untrusted: frames are
 * bounded by the connection's decoder, output by the caps below, and a host that stops answering is
 * killed. When the host goes, every git call in flight fails with GitCommandError; the runner starts a
 * new host for the next call. Closed after `idleMs` without a running git process.
 */
export class GitHost {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly connection: AgentConnection;
  private readonly hostStderr: Buffer[] = [];
  private hostStderrBytes = 0;
  private nextProc = 1;
  private running = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    bwrap: string,
    bwrapArgs: string[],
    /** Names the host in error messages (the session's volume). */
    readonly label: string,
    private readonly idleMs: number,
    onClosed: () => void,
  ) {
    // No environment at all: a git process gets exactly the one its START names.
    this.child = spawn(bwrap, bwrapArgs, { cwd: '/', env: {}, stdio: 'pipe' });
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.hostStderrBytes < HOST_STDERR_MAX_BYTES) this.hostStderr.push(chunk.subarray(0, HOST_STDERR_MAX_BYTES - this.hostStderrBytes));
      this.hostStderrBytes += chunk.length;
    });
    this.connection = new AgentConnection(new ChildStdio(this.child), label, '', () => undefined, Buffer.alloc(0));
    this.connection.onClose(() => {
      clearTimeout(this.idleTimer);
      onClosed();
    });
    this.idle();
  }

  /** The host's process on the host (bwrap), while it runs. */
  get pid(): number | undefined {
    return this.isOpen ? this.child.pid : undefined;
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /** Kills the host and everything running in it; calls in flight reject with GitCommandError. */
  close(): void {
    this.connection.close();
  }

  /** Runs one git process in the host. Rejects with GitCommandError unless git exits 0 (or was cut with `truncate`). */
  run({ command, args, cwd, env, input, maxBytes, truncate, timeoutMs }: GitExec): Promise<GitOutput> {
    this.running++;
    clearTimeout(this.idleTimer);
    return new Promise<GitOutput>((resolve, reject) => {
      const proc = `git-${this.nextProc++}`;
      const collected = new GitOutputCollector(command, maxBytes, truncate);
      let killed = false;
      let settled = false;
      let grace: NodeJS.Timeout | undefined;
      // Filled in below: the connection may already be gone when finish first runs.
      const handles: { channel?: AgentChannel } = {};
      let stopWatchingClose = () => undefined as unknown;
      const finish = (exitCode: number | null, reason?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        stopWatchingClose();
        handles.channel?.close();
        const outcome = collected.outcome(exitCode, reason ?? collected.failure);
        if (outcome instanceof GitCommandError) reject(outcome);
        else resolve(outcome);
      };
      const kill = () => {
        if (killed || settled) return;
        killed = true;
        // A host that cannot kill its git (no answer, no exit) is closed with all it runs.
        this.connection.call(FrameType.Signal, { proc, signal: 9 }, { timeoutMs: KILL_GRACE_MS }).catch((error: unknown) => {
          // Refused: git exited meanwhile (its exit is on the way).
          if (!(error instanceof AgentRequestError)) this.close();
        });
        grace = setTimeout(() => this.close(), KILL_GRACE_MS);
      };
      const timer = setTimeout(() => {
        collected.failure = `produced no output for ${timeoutMs} ms`;
        kill();
      }, timeoutMs);
      stopWatchingClose = this.connection.onClose(() => finish(null, `failed: its git host (${this.label}) exited${this.hostError()}`));
      if (settled) return;
      const channel = this.connection.channel((frame) => {
        try {
          switch (frame.type) {
            case FrameType.Stdout:
              timer.refresh();
              if (!collected.addStdout(frame.payload.subarray(8))) kill();
              return;
            case FrameType.Stderr:
              timer.refresh();
              collected.addStderr(frame.payload.subarray(8));
              return;
            case FrameType.Exit: {
              const exit = parseObject(frame.payload);
              return finish(typeof exit.exitCode === 'number' && Number.isInteger(exit.exitCode) ? exit.exitCode : null);
            }
            case FrameType.Err: {
              const body = parseObject(frame.payload);
              const message = typeof body.message === 'string' ? body.message.slice(0, 500) : 'refused';
              return finish(null, `could not be started: ${message}`);
            }
          }
        } catch {
          // A host sending what the protocol does not allow is not trusted with anything more.
          finish(null, 'failed: its git host sent an unreadable frame');
          this.close();
        }
      });
      // One byte past the cap tells the cap was passed; stderr is capped lower, here.
      const outputLimit = Math.max(maxBytes, GIT_STDERR_MAX_BYTES) + 1;
      handles.channel = channel;
      channel.send(FrameType.Start, { proc, argv: ['git', ...args], cwd, env, attach: true, exec: true, outputLimit, stdin: input !== undefined });
      // The agent registers the process before it reads the next frame: the input needs no wait for the OK.
      if (input !== undefined) void this.feed(proc, input, timeoutMs);
    }).finally(() => {
      this.running--;
      this.idle();
    });
  }

  /**
   * Writes git's stdin in chunks, then closes it. Chunks go one at a time: the agent serves each INPUT
   * on its own goroutine, so only a chunk answered keeps the order.
   */
  private async feed(proc: string, input: Buffer, timeoutMs: number): Promise<void> {
    const name = Buffer.from(proc);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(name.length);
    try {
      for (let offset = 0; offset < input.length; offset += DATA_CHUNK_BYTES) {
        await this.connection.call(FrameType.Input, Buffer.concat([prefix, name, input.subarray(offset, offset + DATA_CHUNK_BYTES)]), { timeoutMs });
      }
      await this.connection.call(FrameType.CloseInput, { proc }, { timeoutMs });
    } catch {
      // Git may exit before reading all of its input (an error on the first path): not a failure of ours.
    }
  }

  private idle(): void {
    if (this.running > 0 || !this.isOpen) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  private hostError(): string {
    const text = Buffer.concat(this.hostStderr).toString('utf8').trim();
    return text ? `: ${text}` : '';
  }
}
