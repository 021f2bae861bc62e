import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { CommandExitEvent, CommandInfo, CommandList, CommandSignal, CommandStatus, ErrorCode, StartCommandRequest, StartCommandResponse } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { AgentConnection, AgentStream } from '../../repositories/sandbox-agent/agent-connection';
import { AgentCode, AgentGoneError, AgentRequestError, DATA_CHUNK_BYTES, FrameType, parseObject } from '../../repositories/sandbox-agent/agent-protocol';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { resolveCwd } from '../exec/exec.service';
import { SessionsService } from '../sessions/sessions.service';

/** Running background commands a session may have at once. */
export const MAX_RUNNING_COMMANDS = 64;
/** Largest stdin body of one input call. */
export const COMMAND_INPUT_MAX_BYTES = 1024 * 1024;
const PROC_PREFIX = 'cmd-';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** What the output stream of a command hands over. */
export interface CommandOutputHandlers {
  /** `offset`: position of the chunk's first byte in the command's output (both streams together). */
  onOutput(stream: 'stdout' | 'stderr', data: Buffer, offset: number): void;
  onExit(exit: CommandExitEvent): void;
}

/**
 * Background commands: started by the sandbox's agent in their own process group, with stdin kept
 * open, and their output kept in the sandbox in a ring of COMMAND_OUTPUT_RING_BYTES per command, so a
 * client that (re)connects gets it replayed from the start (or from where it left) and then followed.
 * The agent keeps the last 32 finished commands. Everything it reports is checked before use.
 */
@Injectable()
export class CommandsService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly agents: SandboxAgentRepository,
    private readonly config: ManagerConfig,
  ) {}

  async start(sessionId: string, request: StartCommandRequest): Promise<StartCommandResponse> {
    const cwd = resolveCwd(request.cwd);
    const session = this.sessions.requireRunning(sessionId);
    const agent = await this.agentOf(sessionId);
    const running = (await this.listOn(agent)).filter((command) => command.status === 'running').length;
    if (running >= MAX_RUNNING_COMMANDS) throw DomainException.conflict(`Session ${sessionId} already runs ${MAX_RUNNING_COMMANDS} commands`);
    const commandId = randomUUID();
    const argv = typeof request.command === 'string' ? ['sh', '-c', request.command] : request.command;
    try {
      await agent.call(FrameType.Start, {
        proc: PROC_PREFIX + commandId,
        argv,
        cwd,
        env: { ...session.env, ...request.env },
        stdin: true,
        ringBytes: this.config.commandRingBytes,
        meta: { command: request.command },
      });
    } catch (error) {
      if (error instanceof AgentRequestError && error.code === AgentCode.Spawn) throw DomainException.badRequest(`Cannot start the command: ${error.message}`);
      if (error instanceof AgentRequestError && error.code === AgentCode.Limit) throw DomainException.conflict(`Session ${sessionId} runs too many processes`);
      throw agentFailure(error);
    }
    this.sessions.touch(sessionId);
    return { commandId };
  }

  async list(sessionId: string): Promise<CommandList> {
    const agent = await this.agentOf(sessionId);
    return { commands: await this.listOn(agent) };
  }

  async get(sessionId: string, commandId: string): Promise<CommandInfo> {
    const agent = await this.agentOf(sessionId);
    const found = UUID.test(commandId) ? (await this.listOn(agent)).find((command) => command.commandId === commandId) : undefined;
    if (!found) throw notFound(commandId);
    return found;
  }

  /** Writes to the command's stdin; `eof` closes it afterwards (the command reads end of file). */
  async input(sessionId: string, commandId: string, data: Buffer, eof: boolean): Promise<{ bytes: number }> {
    const agent = await this.agentOf(sessionId);
    const proc = this.procOf(commandId);
    const name = Buffer.from(proc);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(name.length);
    try {
      for (let offset = 0; offset < data.length; offset += DATA_CHUNK_BYTES) {
        await agent.call(FrameType.Input, Buffer.concat([prefix, name, data.subarray(offset, offset + DATA_CHUNK_BYTES)]));
      }
      if (eof) await agent.call(FrameType.CloseInput, { proc });
    } catch (error) {
      throw this.commandFailure(error, commandId, `The stdin of command ${commandId} is closed`);
    }
    this.sessions.touch(sessionId);
    return { bytes: data.length };
  }

  /** Sends a signal to the command's whole process group (what it started in the background included). */
  async signal(sessionId: string, commandId: string, signal: CommandSignal): Promise<{ commandId: string; signal: CommandSignal }> {
    const agent = await this.agentOf(sessionId);
    try {
      await agent.call(FrameType.Signal, { proc: this.procOf(commandId), signal: constants.signals[signal] });
    } catch (error) {
      throw this.commandFailure(error, commandId, `Cannot signal command ${commandId}`);
    }
    this.sessions.touch(sessionId);
    return { commandId, signal };
  }

  /** Replays the command's output kept from `from` (0: the start), then follows it until it exits. */
  async output(sessionId: string, commandId: string, from: number, handlers: CommandOutputHandlers): Promise<{ stream: AgentStream; from: number; dropped: boolean }> {
    const agent = await this.agentOf(sessionId);
    const stream = agent.stream(
      FrameType.Attach,
      { proc: this.procOf(commandId), from },
      (frame) => {
        if (frame.type === FrameType.Stdout || frame.type === FrameType.Stderr) {
          if (frame.payload.length < 8) return;
          this.sessions.touch(sessionId); // command output is activity (docs/lifecycle.md); a map write
          const offset = Number(frame.payload.readBigUInt64BE(0));
          handlers.onOutput(frame.type === FrameType.Stdout ? 'stdout' : 'stderr', frame.payload.subarray(8), offset);
        } else if (frame.type === FrameType.Exit) {
          const exit = parseObject(frame.payload);
          const info = statusOf(exit.exitCode, exit.signal);
          handlers.onExit(info);
        }
      },
      (frame) => frame.type === FrameType.Exit,
    );
    let answer: Record<string, unknown>;
    try {
      answer = await stream.ready;
    } catch (error) {
      throw this.commandFailure(error, commandId, `Cannot read the output of command ${commandId}`);
    }
    this.sessions.touch(sessionId);
    return { stream, from: typeof answer.from === 'number' ? answer.from : from, dropped: answer.dropped === true };
  }

  private async agentOf(sessionId: string): Promise<AgentConnection> {
    this.sessions.requireRunning(sessionId);
    const agent = await this.agents.connection(sessionId);
    if (!agent) throw DomainException.conflict(`Session ${sessionId} has no sandbox agent (created before it existed): restart the session to run background commands`);
    return agent;
  }

  private procOf(commandId: string): string {
    if (!UUID.test(commandId)) throw notFound(commandId);
    return PROC_PREFIX + commandId;
  }

  private async listOn(agent: AgentConnection): Promise<CommandInfo[]> {
    let answer: Record<string, unknown>;
    try {
      answer = await agent.call(FrameType.List, {});
    } catch (error) {
      throw agentFailure(error);
    }
    const processes = Array.isArray(answer.processes) ? (answer.processes as unknown[]) : [];
    return processes.map(toCommandInfo).filter((command): command is CommandInfo => command !== null);
  }

  private commandFailure(error: unknown, commandId: string, refused: string): Error {
    if (error instanceof AgentRequestError && error.code === AgentCode.NoProcess) return notFound(commandId);
    if (error instanceof AgentRequestError) return DomainException.conflict(`${refused}: ${error.message}`);
    return agentFailure(error);
  }
}

function notFound(commandId: string): DomainException {
  return DomainException.notFound(`Command ${commandId} not found`);
}

function agentFailure(error: unknown): Error {
  if (error instanceof AgentGoneError || error instanceof AgentRequestError) return new DomainException(ErrorCode.BadGateway, `The sandbox agent did not answer: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

function statusOf(exitCode: unknown, signal: unknown): { status: CommandStatus; exitCode: number | null; signal: string | null } {
  if (typeof signal === 'number' && Number.isInteger(signal)) return { status: 'killed', exitCode: null, signal: SIGNAL_NAMES.get(signal) ?? `SIG${signal}` };
  if (typeof exitCode === 'number' && Number.isInteger(exitCode)) return { status: 'exited', exitCode, signal: null };
  return { status: 'exited', exitCode: null, signal: null };
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 8.64e15;

/** A command as the agent lists it (untrusted: anything malformed is left out). */
function toCommandInfo(value: unknown): CommandInfo | null {
  if (typeof value !== 'object' || value === null) return null;
  const process = value as Record<string, unknown>;
  if (typeof process.proc !== 'string' || !process.proc.startsWith(PROC_PREFIX)) return null;
  const commandId = process.proc.slice(PROC_PREFIX.length);
  if (!UUID.test(commandId) || !isTime(process.startedAt)) return null;
  const meta = process.meta as { command?: unknown } | undefined;
  const given = meta?.command;
  const command = typeof given === 'string' || (Array.isArray(given) && given.every((arg) => typeof arg === 'string')) ? given : [];
  const running = process.running === true;
  const ended = running ? { status: 'running' as const, exitCode: null, signal: null } : statusOf(process.exitCode, process.signal);
  return {
    commandId,
    command,
    ...ended,
    startedAt: new Date(process.startedAt).toISOString(),
    finishedAt: !running && isTime(process.finishedAt) ? new Date(process.finishedAt).toISOString() : null,
  };
}
