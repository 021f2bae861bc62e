import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ErrorCode, ExecRequest, ExecResult, ExecStreamEvent } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
import { AgentChannel, AgentConnection } from '../../repositories/sandbox-agent/agent-connection';
import { AgentCode, AgentRequestError, DATA_CHUNK_BYTES, FrameType, parseObject } from '../../repositories/sandbox-agent/agent-protocol';
import { AGENT_TOKEN_ENV, SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { SANDBOX_UID, SANDBOX_WORKDIR } from '../sessions/container-spec';
import { SessionEvents } from '../sessions/session-events';
import { SessionsService } from '../sessions/sessions.service';
import { EXEC_KILL_SCRIPT, EXEC_OUTER_SCRIPT, EXEC_WRAPPER_SCRIPT } from './exec-wrapper';

export interface PreparedExec {
  sessionId: string;
  containerId: string;
  argv: string[];
  cwd: string;
  env: string[];
  stdin?: Buffer;
  timeoutMs: number;
}

/** Grace after a kill before the attached stream is cut regardless. */
const KILL_GRACE_MS = 5_000;

/** `cwd` as an absolute path inside the sandbox's workspace, or a 400. */
export function resolveCwd(cwd: string | undefined): string {
  if (cwd === undefined || cwd === '') return SANDBOX_WORKDIR;
  if (cwd.includes('\0')) throw DomainException.badRequest('cwd must not contain NUL bytes');
  const absolute = posix.normalize(cwd.startsWith('/') ? cwd : posix.join(SANDBOX_WORKDIR, cwd)).replace(/\/+$/, '') || '/';
  if (absolute !== SANDBOX_WORKDIR && !absolute.startsWith(`${SANDBOX_WORKDIR}/`)) throw DomainException.badRequest('cwd must be inside the workspace');
  return absolute;
}

/** Runs commands in a session's sandbox: output caps, timeouts that kill the process tree, streaming. */
@Injectable()
export class ExecService {
  private readonly logger = new Logger(ExecService.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly docker: DockerRepository,
    private readonly events: SessionEvents,
    private readonly config: ManagerConfig,
    private readonly agents: SandboxAgentRepository,
  ) {}

  /** Validates the request against the session and limits (throws 400/404/409 before anything runs). */
  prepare(sessionId: string, request: ExecRequest): PreparedExec {
    const session = this.sessions.requireRunning(sessionId);
    const timeoutMs = request.timeoutMs ?? this.config.execDefaultTimeoutMs;
    if (timeoutMs > this.config.execMaxTimeoutMs) throw DomainException.badRequest(`timeoutMs must be at most ${this.config.execMaxTimeoutMs}`);
    return {
      sessionId,
      containerId: session.containerId,
      argv: typeof request.command === 'string' ? ['sh', '-c', request.command] : request.command,
      cwd: resolveCwd(request.cwd),
      // The session's env under the request's: a pooled sandbox was created before its session (docs/sandboxes.md, "Warm pool").
      env: Object.entries({ ...session.env, ...request.env }).map(([key, value]) => `${key}=${value}`),
      stdin: request.stdin === undefined ? undefined : Buffer.from(request.stdin, 'utf8'),
      timeoutMs,
    };
  }

  /**
   * `signal`: aborted when the caller has gone away; the command is then killed like on a timeout.
   * Runs through the sandbox's agent when it has one, else through a Docker exec (sandboxes created
   * before the agent, or an agent that does not answer).
   */
  async run(exec: PreparedExec, onEvent?: (event: ExecStreamEvent) => void, signal?: AbortSignal): Promise<ExecResult> {
    const agent = await this.agents.connection(exec.sessionId);
    const result = agent ? await this.runThroughAgent(agent, exec, onEvent, signal) : await this.runThroughDocker(exec, onEvent, signal);
    this.sessions.touch(exec.sessionId);
    this.events.emitWorkspaceChanged({ sessionId: exec.sessionId, cause: 'exec' });
    return result;
  }

  /** The Docker exec path, callable on its own for comparison (bench). */
  async runThroughDocker(exec: PreparedExec, onEvent?: (event: ExecStreamEvent) => void, signal?: AbortSignal): Promise<ExecResult> {
    const execId = randomUUID();
    const streams = new ExecOutput(this.config.execOutputLimitBytes);
    const cut = new AbortController();
    let timedOut = false;
    const kills: Promise<void>[] = [];
    const kill = () => {
      if (kills.length === 0) kills.push(this.killGroup(exec.containerId, execId).finally(() => setTimeout(() => cut.abort(), KILL_GRACE_MS).unref()));
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, exec.timeoutMs);
    // The caller went away: nobody will see the result, and a caller that retries would run the command
    // a second time, so the command stops here (background processes included, as on a timeout).
    const onAbort = () => {
      if (kills.length > 0) return;
      this.logger.warn({ sessionId: exec.sessionId, execId }, 'the caller of an exec went away: killing its process group');
      kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const emit = (type: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = streams[type].push(chunk);
      if (text && onEvent) onEvent({ type, data: text });
    };
    let exitCode: number | null = null;
    try {
      ({ exitCode } = await this.docker.exec(exec.containerId, {
        cmd: ['sh', '-c', EXEC_OUTER_SCRIPT, EXEC_WRAPPER_SCRIPT, execId, exec.cwd, ...exec.argv],
        // A sandbox with an unresponsive agent still has the agent's token in its container config.
        env: [`${AGENT_TOKEN_ENV}=`, ...exec.env],
        user: `${SANDBOX_UID}:${SANDBOX_UID}`,
        stdin: exec.stdin,
        onStdout: emit('stdout'),
        onStderr: emit('stderr'),
        signal: cut.signal,
      }));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      await Promise.all(kills);
    }
    return streams.result(exitCode, timedOut);
  }

  /**
   * The agent path: the command runs in its own process group; a timeout or a caller gone away
   * sends SIGKILL to the group; output is capped here whatever the agent sends (it is untrusted,
   * like the exit it reports); a command that cannot be started answers like a shell would (127/126).
   */
  private runThroughAgent(agent: AgentConnection, exec: PreparedExec, onEvent?: (event: ExecStreamEvent) => void, signal?: AbortSignal): Promise<ExecResult> {
    const proc = `exec-${randomUUID()}`;
    const limit = this.config.execOutputLimitBytes;
    const streams = new ExecOutput(limit);
    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;
      let killed = false;
      let settled = false;
      let grace: NodeJS.Timeout | undefined;
      // Assigned below; `finish` may run (connection already closed) before they are.
      const handles: { timer?: NodeJS.Timeout; channel?: AgentChannel } = {};
      let stopWatchingClose = () => {};
      const cleanup = () => {
        settled = true;
        clearTimeout(handles.timer);
        clearTimeout(grace);
        signal?.removeEventListener('abort', onAbort);
        stopWatchingClose();
        handles.channel?.close();
      };
      const finish = (exitCode: number | null) => {
        if (settled) return;
        cleanup();
        resolve(streams.result(exitCode, timedOut));
      };
      const fail = (error: Error) => {
        if (settled) return;
        cleanup();
        reject(error);
      };
      const kill = () => {
        if (killed || settled) return;
        killed = true;
        agent.call(FrameType.Signal, { proc, signal: 9 }, { timeoutMs: KILL_GRACE_MS }).catch((error: unknown) => this.logger.warn({ err: error, proc }, 'could not kill the process group of a timed-out or abandoned exec'));
        grace = setTimeout(() => finish(null), KILL_GRACE_MS);
      };
      handles.timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, exec.timeoutMs);
      const onAbort = () => {
        if (killed) return;
        this.logger.warn({ sessionId: exec.sessionId, proc }, 'the caller of an exec went away: killing its process group');
        kill();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // The agent kills a running exec itself when the connection drops.
      stopWatchingClose = agent.onClose(() => (killed ? finish(null) : fail(new DomainException(ErrorCode.BadGateway, 'The sandbox agent connection closed during the exec'))));
      if (settled) return;
      const channel = agent.channel((frame) => {
        try {
          switch (frame.type) {
            case FrameType.Ok:
              if (exec.stdin !== undefined) void this.feedStdin(agent, proc, exec.stdin);
              break;
            case FrameType.Stdout:
            case FrameType.Stderr: {
              const type = frame.type === FrameType.Stdout ? 'stdout' : 'stderr';
              const text = streams[type].push(frame.payload.subarray(8));
              if (text && onEvent) onEvent({ type, data: text });
              break;
            }
            case FrameType.Exit: {
              const body = parseObject(frame.payload);
              if (typeof body.stdoutBytes === 'number' && body.stdoutBytes > limit) streams.stdout.truncated = true;
              if (typeof body.stderrBytes === 'number' && body.stderrBytes > limit) streams.stderr.truncated = true;
              finish(exitCodeOf(body));
              break;
            }
            case FrameType.Err: {
              const body = parseObject(frame.payload);
              const message = typeof body.message === 'string' ? body.message.slice(0, 500) : 'cannot start the command';
              if (body.code !== AgentCode.Spawn) return fail(new AgentRequestError(Number(body.code), message));
              streams.stderr.push(Buffer.from(`${message}\n`));
              finish(message.startsWith("can't cd") ? 126 : message.endsWith('not found') ? 127 : 126);
              break;
            }
          }
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      });
      handles.channel = channel;
      const env = Object.fromEntries(exec.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      // outputLimit + 1: one byte past the cap tells the cap was reached.
      channel.send(FrameType.Start, { proc, argv: exec.argv, cwd: exec.cwd, env, attach: true, exec: true, outputLimit: limit + 1, stdin: exec.stdin !== undefined });
      if (signal?.aborted) onAbort();
    });
  }

  /** Writes an exec's stdin in chunks, then closes it (the command sees EOF). */
  private async feedStdin(agent: AgentConnection, proc: string, stdin: Buffer): Promise<void> {
    const name = Buffer.from(proc);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(name.length);
    try {
      for (let offset = 0; offset < stdin.length; offset += DATA_CHUNK_BYTES) {
        await agent.call(FrameType.Input, Buffer.concat([prefix, name, stdin.subarray(offset, offset + DATA_CHUNK_BYTES)]));
      }
      await agent.call(FrameType.CloseInput, { proc });
    } catch (error) {
      this.logger.debug({ err: error, proc }, 'stdin not fully delivered (the command exited first?)');
    }
  }

  private async killGroup(containerId: string, execId: string): Promise<void> {
    try {
      await this.docker.exec(containerId, {
        cmd: ['sh', '-c', EXEC_KILL_SCRIPT, 'sandbox-kill', execId],
        user: `${SANDBOX_UID}:${SANDBOX_UID}`,
        onStdout: () => undefined,
        onStderr: () => undefined,
      });
    } catch (error) {
      this.logger.warn({ err: error, execId }, 'could not kill the process group of a timed-out or abandoned exec');
    }
  }
}

/** The exit code the agent reports; a process killed by a signal exits 128 + signal, as in a shell. */
function exitCodeOf(exit: Record<string, unknown>): number | null {
  if (typeof exit.exitCode === 'number' && Number.isInteger(exit.exitCode)) return exit.exitCode;
  if (typeof exit.signal === 'number' && Number.isInteger(exit.signal)) return 128 + exit.signal;
  return null;
}

/** The capped stdout and stderr of one exec, from its start; `result` once it has ended. */
class ExecOutput {
  readonly stdout: CappedOutput;
  readonly stderr: CappedOutput;
  private readonly started = performance.now();

  constructor(limit: number) {
    this.stdout = new CappedOutput(limit);
    this.stderr = new CappedOutput(limit);
  }

  /** A timed-out command has no exit code, whatever it exited with once killed. */
  result(exitCode: number | null, timedOut: boolean): ExecResult {
    return {
      exitCode: timedOut ? null : exitCode,
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      timedOut,
      durationMs: Math.round(performance.now() - this.started),
      truncated: this.stdout.truncated || this.stderr.truncated,
    };
  }
}

/** Keeps the first `limit` bytes of a stream, decoded as UTF-8 across chunk boundaries. */
class CappedOutput {
  private readonly decoder = new StringDecoder('utf8');
  private readonly parts: string[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  /** Returns the text kept from this chunk ('' once the cap is reached). */
  push(chunk: Buffer): string {
    if (this.bytes >= this.limit) {
      this.truncated = true;
      return '';
    }
    const room = this.limit - this.bytes;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.bytes += kept.length;
    const text = this.decoder.write(kept);
    this.parts.push(text);
    return text;
  }

  text(): string {
    this.parts.push(this.decoder.end());
    return this.parts.join('');
  }
}
