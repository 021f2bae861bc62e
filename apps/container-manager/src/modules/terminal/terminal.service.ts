import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { ErrorCode, TerminalExitMessage } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { AgentStream } from '../../repositories/sandbox-agent/agent-connection';
import { AgentCode, AgentGoneError, AgentRequestError, FrameType, parseObject } from '../../repositories/sandbox-agent/agent-protocol';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { SANDBOX_WORKDIR } from '../sessions/container-spec';
import { SessionsService } from '../sessions/sessions.service';

/** The sandbox's login shell: bash where the image has it (dev), else sh (base). */
export const TERMINAL_SHELL = ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l'];
const PROC_PREFIX = 'pty-';
/** After SIGHUP, what is left of the terminal's process group gets SIGKILL this much later. */
const HANGUP_GRACE_MS = 1_000;
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

export interface TerminalHandlers {
  onOutput(data: Buffer): void;
  onExit(exit: TerminalExitMessage): void;
}

/** An open terminal: input in order, resizes, and `close()` (hang up). */
export interface Terminal {
  write(data: Buffer): void;
  resize(cols: number, rows: number): Promise<void>;
  /** Hangs up: SIGHUP to the shell's process group, SIGKILL to what is left a second later. */
  close(): void;
  /** Settles when the shell's stream has ended (exit, hang-up or a lost agent). */
  readonly ended: Promise<void>;
}

/**
 * PTY terminals of a session, run by its sandbox agent: the shell starts in its own session with the
 * PTY as controlling terminal, in /workspace with the session's environment; its output comes back as
 * it is produced. The shell is an exec of the agent connection, so a lost connection kills it too.
 */
@Injectable()
export class TerminalService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly agents: SandboxAgentRepository,
  ) {}

  async open(sessionId: string, size: { cols: number; rows: number }, handlers: TerminalHandlers): Promise<Terminal> {
    await this.sessions.resumeIfPaused(sessionId);
    const session = this.sessions.requireRunning(sessionId);
    const agent = await this.agents.connection(sessionId);
    if (!agent) throw DomainException.conflict(`Session ${sessionId} has no sandbox agent (created before it existed): restart the session to open a terminal`);
    const proc = PROC_PREFIX + randomUUID();
    let exited = false;
    const stream: AgentStream = agent.stream(
      FrameType.Start,
      {
        proc,
        argv: TERMINAL_SHELL,
        cwd: SANDBOX_WORKDIR,
        env: { ...session.env, TERM: 'xterm-256color' },
        pty: size,
        attach: true,
        exec: true,
        stdin: true,
      },
      (frame) => {
        if (frame.type === FrameType.Stdout || frame.type === FrameType.Stderr) {
          if (frame.payload.length <= 8) return;
          this.sessions.touch(sessionId);
          handlers.onOutput(frame.payload.subarray(8));
        } else if (frame.type === FrameType.Exit) {
          exited = true;
          handlers.onExit(exitOf(parseObject(frame.payload)));
        }
      },
      (frame) => frame.type === FrameType.Exit,
    );
    try {
      await stream.ready;
    } catch (error) {
      if (error instanceof AgentRequestError && error.code === AgentCode.Spawn) throw DomainException.conflict(`Cannot start the terminal's shell: ${error.message}`);
      if (error instanceof AgentRequestError && error.code === AgentCode.Limit) throw DomainException.conflict(`Session ${sessionId} runs too many processes`);
      if (error instanceof AgentGoneError || error instanceof AgentRequestError) throw new DomainException(ErrorCode.BadGateway, `The sandbox agent did not answer: ${error.message}`);
      throw error;
    }
    this.sessions.touch(sessionId);

    // The agent serves each input frame on its own, so the next chunk waits for the previous one's answer (keystrokes stay in order).
    const name = Buffer.from(proc);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(name.length);
    let queued: Buffer[] = [];
    let sending = false;
    const flush = async () => {
      if (sending) return;
      sending = true;
      try {
        while (queued.length > 0 && agent.isOpen && !exited) {
          const data = Buffer.concat(queued);
          queued = [];
          await agent.call(FrameType.Input, Buffer.concat([prefix, name, data])).catch(() => undefined);
        }
      } finally {
        sending = false;
      }
    };
    const signal = (number: number) => agent.call(FrameType.Signal, { proc, signal: number }).catch(() => undefined);
    let closed = false;
    return {
      ended: stream.ended,
      write: (data) => {
        if (data.length === 0 || exited) return;
        this.sessions.touch(sessionId);
        queued.push(data);
        void flush();
      },
      resize: async (cols, rows) => {
        if (exited) return;
        await agent.call(FrameType.Resize, { proc, cols, rows }).catch((error: unknown) => {
          if (!(error instanceof AgentRequestError && error.code === AgentCode.NoProcess)) throw error;
        });
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (exited || !agent.isOpen) return stream.stop();
        void signal(constants.signals.SIGHUP);
        const timer = setTimeout(() => {
          if (!exited) void signal(constants.signals.SIGKILL);
        }, HANGUP_GRACE_MS);
        timer.unref();
        void stream.ended.then(() => clearTimeout(timer));
      },
    };
  }
}

function exitOf(exit: Record<string, unknown>): TerminalExitMessage {
  const signal = exit.signal;
  if (typeof signal === 'number' && Number.isInteger(signal)) return { type: 'exit', exitCode: null, signal: SIGNAL_NAMES.get(signal) ?? `SIG${signal}` };
  return { type: 'exit', exitCode: typeof exit.exitCode === 'number' && Number.isInteger(exit.exitCode) ? exit.exitCode : null, signal: null };
}
