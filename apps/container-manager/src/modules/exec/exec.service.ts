import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ExecRequest, ExecResult, ExecStreamEvent } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
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
      env: Object.entries(request.env ?? {}).map(([key, value]) => `${key}=${value}`),
      stdin: request.stdin === undefined ? undefined : Buffer.from(request.stdin, 'utf8'),
      timeoutMs,
    };
  }

  /** `signal`: aborted when the caller has gone away; the command is then killed like on a timeout. */
  async run(exec: PreparedExec, onEvent?: (event: ExecStreamEvent) => void, signal?: AbortSignal): Promise<ExecResult> {
    const execId = randomUUID();
    const limit = this.config.execOutputLimitBytes;
    const streams = { stdout: new CappedOutput(limit), stderr: new CappedOutput(limit) };
    const started = performance.now();
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
        env: exec.env,
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
    const result: ExecResult = {
      exitCode: timedOut ? null : exitCode,
      stdout: streams.stdout.text(),
      stderr: streams.stderr.text(),
      timedOut,
      durationMs: Math.round(performance.now() - started),
      truncated: streams.stdout.truncated || streams.stderr.truncated,
    };
    this.sessions.touch(exec.sessionId);
    this.events.emitWorkspaceChanged({ sessionId: exec.sessionId, cause: 'exec' });
    return result;
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
