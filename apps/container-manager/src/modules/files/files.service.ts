import { Injectable } from '@nestjs/common';
import { posix } from 'node:path';
import { ErrorCode, FileEntry, FileList, FileType, FileWatchEvent, FileWriteResult } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
import { AgentChannel, AgentConnection, AgentStream } from '../../repositories/sandbox-agent/agent-connection';
import { AgentGoneError, AgentRequestError, FrameType, parseObject } from '../../repositories/sandbox-agent/agent-protocol';
import { AGENT_TOKEN_ENV, SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { SANDBOX_UID } from '../sessions/container-spec';
import { SessionEvents } from '../sessions/session-events';
import { SessionsService } from '../sessions/sessions.service';
import { SessionErrors } from '../sessions/sessions.exception';
import { FILES_SCRIPT, LIST_SCRIPT } from './files-scripts';
import { workspacePath } from './workspace-path';

interface ScriptResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
}

/** What the agent answers for one entry (untrusted: checked before use). */
interface AgentEntry {
  name: string;
  type: FileType;
  size: number;
  mtimeMs: number;
}

const FILE_EVENT_TYPES = new Set(['create', 'write', 'remove', 'rename', 'overflow']);
/** Deadline of one file operation through the agent (content up to FILE_MAX_BYTES included). */
const AGENT_FILE_TIMEOUT_MS = 120_000;

/**
 * Workspace files, read and written from inside the sandbox: by the sandbox's agent
 * (docs/sandbox-agent.md), or by short scripts run through Docker exec in sandboxes without one (see
 * files-scripts.ts for why inside). Paths are checked lexically here first; results are reported
 * relative to the workspace, with paths computed here, never taken from the sandbox.
 */
@Injectable()
export class FilesService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly docker: DockerRepository,
    private readonly events: SessionEvents,
    private readonly config: ManagerConfig,
    private readonly agents: SandboxAgentRepository,
  ) {}

  async read(sessionId: string, rawPath: string): Promise<Buffer> {
    const path = workspacePath(rawPath);
    const agent = await this.agentOf(sessionId);
    if (!agent) return (await this.run(sessionId, ['read', path, String(this.config.fileMaxBytes)], path)).stdout;
    const chunks: Buffer[] = [];
    let size = 0;
    await this.agentCall(sessionId, agent, { op: 'read', path, maxBytes: this.config.fileMaxBytes }, path, (data) => {
      size += data.length;
      if (size > this.config.fileMaxBytes) throw this.tooLarge();
      chunks.push(data);
    });
    return Buffer.concat(chunks);
  }

  async write(sessionId: string, rawPath: string, content: Buffer): Promise<FileWriteResult> {
    const path = workspacePath(rawPath);
    if (path === '.') throw DomainException.badRequest('path must name a file');
    if (content.length > this.config.fileMaxBytes) throw this.tooLarge();
    const agent = await this.agentOf(sessionId);
    let size: number;
    if (agent) {
      const answer = await this.agentCall(sessionId, agent, { op: 'write', path }, path, undefined, (channel) => {
        agent.sendChunks(channel, FrameType.Data, content);
        channel.send(FrameType.Eof);
      });
      size = typeof answer.size === 'number' ? answer.size : content.length;
    } else {
      size = Number((await this.run(sessionId, ['write', path], path, content)).stdout.toString().trim());
    }
    this.changed(sessionId);
    return { path, size };
  }

  async list(sessionId: string, rawPath = '.'): Promise<FileList> {
    const path = workspacePath(rawPath);
    const agent = await this.agentOf(sessionId);
    let rows: AgentEntry[];
    if (agent) {
      const chunks: Buffer[] = [];
      let size = 0;
      await this.agentCall(sessionId, agent, { op: 'list', path }, path, (data) => {
        size += data.length;
        if (size > MAX_LISTING_BYTES) throw new DomainException(ErrorCode.PayloadTooLarge, `The directory listing is larger than ${MAX_LISTING_BYTES} bytes: ${path}`);
        chunks.push(data);
      });
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '[]');
      rows = Array.isArray(parsed) ? parsed.filter(isAgentEntry) : [];
    } else {
      const session = this.sessions.requireRunning(sessionId);
      const result = await this.exec(session.containerId, ['node', '-e', LIST_SCRIPT, path]);
      this.check(result, path, sessionId);
      rows = (JSON.parse(result.stdout.toString('utf8')) as [string, FileType, number, number][]).map(([name, type, size, mtimeMs]) => ({ name, type, size, mtimeMs }));
      this.sessions.touch(sessionId);
    }
    const entries = rows
      .map(({ name, type, size, mtimeMs }) => ({ name, path: path === '.' ? name : `${path}/${name}`, type, size, mtime: new Date(mtimeMs).toISOString() }))
      .sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : b.type === 'dir' ? 1 : 0));
    return { path, entries };
  }

  async stat(sessionId: string, rawPath: string): Promise<FileEntry> {
    const path = workspacePath(rawPath);
    return this.entryOp(sessionId, { op: 'stat', path }, path, path, ['stat', path]);
  }

  async mkdir(sessionId: string, rawPath: string): Promise<FileEntry> {
    const path = workspacePath(rawPath);
    const entry = await this.entryOp(sessionId, { op: 'mkdir', path }, path, path, ['mkdir', path]);
    this.changed(sessionId);
    return entry;
  }

  async move(sessionId: string, rawFrom: string, rawTo: string): Promise<FileEntry> {
    const from = workspacePath(rawFrom, 'from');
    const to = workspacePath(rawTo, 'to');
    if (from === '.' || to === '.') throw DomainException.badRequest('the workspace itself cannot be moved or replaced');
    const entry = await this.entryOp(sessionId, { op: 'move', path: from, to }, `${from} -> ${to}`, to, ['move', from, to]);
    this.changed(sessionId);
    return entry;
  }

  async delete(sessionId: string, rawPath: string): Promise<void> {
    const path = workspacePath(rawPath);
    if (path === '.') throw DomainException.badRequest('the workspace itself cannot be deleted');
    const agent = await this.agentOf(sessionId);
    if (agent) await this.agentCall(sessionId, agent, { op: 'delete', path }, path);
    else await this.run(sessionId, ['delete', path], path);
    this.changed(sessionId);
  }

  /**
   * File events under `path` (SSE of the files watch): the agent's inotify watch of the workspace.
   * Needs the agent (409 for a sandbox without one). Returns the stream to stop when the client leaves.
   */
  async watch(sessionId: string, rawPath: string, recursive: boolean, onEvents: (events: FileWatchEvent[]) => void): Promise<AgentStream> {
    const path = workspacePath(rawPath);
    const agent = await this.agentOf(sessionId);
    if (!agent) throw DomainException.conflict(`Session ${sessionId} has no sandbox agent (created before it existed): restart the session to watch files`);
    const stream = agent.stream(FrameType.Watch, { path, recursive }, (frame) => {
      if (frame.type !== FrameType.Event) return;
      const body = parseObject(frame.payload);
      const events = Array.isArray(body.events) ? body.events.filter(isFileEvent).slice(0, 1000) : [];
      if (events.length > 0) onEvents(events);
    }, () => false);
    try {
      await stream.ready;
    } catch (error) {
      throw this.agentFailure(error, path, sessionId);
    }
    this.sessions.touch(sessionId);
    return stream;
  }

  get maxBytes(): number {
    return this.config.fileMaxBytes;
  }

  tooLarge(): DomainException {
    return new DomainException(ErrorCode.PayloadTooLarge, `File is larger than the limit of ${this.config.fileMaxBytes} bytes`);
  }

  /** The session's agent (it must be running: 409 otherwise), or null to use the Docker exec scripts. */
  private async agentOf(sessionId: string): Promise<AgentConnection | null> {
    this.sessions.requireRunning(sessionId);
    return this.agents.connection(sessionId);
  }

  private async agentCall(
    sessionId: string,
    agent: AgentConnection,
    request: { op: string; path: string; to?: string; maxBytes?: number },
    label: string,
    onData?: (data: Buffer) => void,
    after?: (channel: AgentChannel) => void,
  ): Promise<Record<string, unknown>> {
    try {
      const answer = await agent.call(FrameType.File, request, {
        timeoutMs: AGENT_FILE_TIMEOUT_MS,
        onFrame: (frame) => {
          if (frame.type === FrameType.Data) onData?.(frame.payload);
        },
        after,
      });
      this.sessions.touch(sessionId);
      return answer;
    } catch (error) {
      throw this.agentFailure(error, label, sessionId);
    }
  }

  private agentFailure(error: unknown, label: string, sessionId: string): Error {
    if (error instanceof AgentRequestError) {
      try {
        this.check({ exitCode: error.code, stdout: Buffer.alloc(0), stderr: error.message }, label, sessionId);
      } catch (mapped) {
        return mapped as Error;
      }
    }
    if (error instanceof AgentGoneError) return new DomainException(ErrorCode.BadGateway, `The sandbox agent did not complete the file operation: ${label}`);
    return error instanceof Error ? error : new Error(String(error));
  }

  /** stat, mkdir, move: one entry back, from the agent or the Docker exec script. */
  private async entryOp(sessionId: string, request: { op: string; path: string; to?: string }, label: string, path: string, script: string[]): Promise<FileEntry> {
    const agent = await this.agentOf(sessionId);
    if (!agent) return parseEntry(path, (await this.run(sessionId, script, label)).stdout);
    const answer = await this.agentCall(sessionId, agent, request, label);
    if (!isAgentEntry({ ...answer, name: posix.basename(path) })) throw new DomainException(ErrorCode.BadGateway, `The sandbox agent answered an invalid entry: ${label}`);
    return { name: posix.basename(path), path, type: answer.type as FileType, size: answer.size as number, mtime: new Date(answer.mtimeMs as number).toISOString() };
  }

  private async run(sessionId: string, args: string[], label: string, stdin?: Buffer): Promise<ScriptResult> {
    const session = this.sessions.requireRunning(sessionId);
    const result = await this.exec(session.containerId, ['sh', '-c', FILES_SCRIPT, 'sandbox-files', ...args], stdin);
    this.check(result, label, sessionId);
    this.sessions.touch(sessionId);
    return result;
  }

  private async exec(containerId: string, cmd: string[], stdin?: Buffer): Promise<ScriptResult> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    const { exitCode } = await this.docker.exec(containerId, {
      cmd,
      // A sandbox with an unresponsive agent still has the agent's token in its container config.
      env: [`${AGENT_TOKEN_ENV}=`],
      user: `${SANDBOX_UID}:${SANDBOX_UID}`,
      stdin,
      onStdout: (chunk) => {
        size += chunk.length;
        if (size <= this.config.fileMaxBytes + 1) stdout.push(chunk);
      },
      onStderr: (chunk) => {
        if (stderr.length < 16) stderr.push(chunk);
      },
    });
    if (size > this.config.fileMaxBytes) throw this.tooLarge();
    return { exitCode, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8').slice(0, 500) };
  }

  private check(result: ScriptResult, path: string, sessionId: string): void {
    switch (result.exitCode) {
      case 0:
        return;
      case 64:
        throw DomainException.notFound(`No such file or directory: ${path}`);
      case 65:
        throw DomainException.badRequest(`Path leaves the workspace: ${path}`);
      case 66:
        throw DomainException.badRequest(`Is a directory: ${path}`);
      case 67:
        throw DomainException.badRequest(`Not a directory: ${path}`);
      case 68:
        throw DomainException.conflict(`Already exists: ${path}`);
      case 69:
        throw DomainException.badRequest(`${result.stderr.trim() || 'file operation failed'}: ${path}`);
      case 70:
        throw this.tooLarge();
      case 71:
        throw DomainException.conflict(`The path changed in the sandbox during the operation: ${path}`);
      case 72:
        throw SessionErrors.diskFull(this.sessions.quotaMbOf(sessionId), path);
      default:
        throw new DomainException(ErrorCode.Internal, `File operation failed in the sandbox (exit ${result.exitCode})`, undefined, { cause: new Error(result.stderr) });
    }
  }

  private changed(sessionId: string): void {
    this.events.emitWorkspaceChanged({ sessionId, cause: 'file' });
  }
}

/** Largest directory listing (JSON) taken from the agent. */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

function isAgentEntry(value: unknown): value is AgentEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.name === 'string' &&
    entry.name.length > 0 &&
    entry.name.length <= 255 &&
    !entry.name.includes('/') &&
    !entry.name.includes('\0') &&
    entry.name !== '.' &&
    entry.name !== '..' &&
    (entry.type === 'file' || entry.type === 'dir' || entry.type === 'symlink') &&
    typeof entry.size === 'number' &&
    Number.isFinite(entry.size) &&
    entry.size >= 0 &&
    typeof entry.mtimeMs === 'number' &&
    Number.isFinite(entry.mtimeMs) &&
    Math.abs(entry.mtimeMs) < 8.64e15
  );
}

/** A watch event from the agent, kept only if its paths look like workspace-relative paths. */
function isFileEvent(value: unknown): value is FileWatchEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  const relative = (p: unknown) => typeof p === 'string' && p.length > 0 && p.length <= 4096 && !p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..');
  return typeof event.type === 'string' && FILE_EVENT_TYPES.has(event.type) && relative(event.path) && (event.from === undefined || relative(event.from));
}

/** Parses `stat -c '%F|%s|%y'` (e.g. `regular file|12|2026-11-22 00:15:03.123456789 +0000`). */
export function parseEntry(path: string, raw: Buffer | string): FileEntry {
  const [kind, size, stamp] = raw.toString('utf8').trim().split('|');
  const type: FileType = kind === 'directory' ? 'dir' : kind === 'symbolic link' ? 'symlink' : 'file';
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? ([+-]\d\d)(\d\d)$/.exec(stamp ?? '');
  const mtime = match ? new Date(`${match[1]}T${match[2]}.${(match[3] ?? '0').padEnd(3, '0').slice(0, 3)}${match[4]}:${match[5]}`) : new Date(NaN);
  return { name: posix.basename(path), path, type, size: Number(size), mtime: Number.isNaN(mtime.getTime()) ? new Date(0).toISOString() : mtime.toISOString() };
}
