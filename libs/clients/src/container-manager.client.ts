import {
  CheckpointPage,
  CommandExitEvent,
  CommandInfo,
  CommandList,
  CommandOutputEvent,
  CommandSignal,
  CommitRequest,
  CommitResponse,
  CreateSandboxRequest,
  CreateTemplateRequest,
  ExecLimits,
  ExecRequest,
  ExecResult,
  ExecStreamEvent,
  FileEntry,
  FileList,
  FileWriteResult,
  GitCheckpoint,
  GitDiff,
  GitStatus,
  HealthResponse,
  ManagerRoutes,
  Preview,
  PreviewList,
  PreviewToken,
  SandboxSession,
  SessionUsage,
  SandboxSessionList,
  StartCommandRequest,
  StartCommandResponse,
  Template,
  TemplateList,
} from '@sandbox/contracts';
import { ServiceClientOptions, ServiceHttpClient } from './http-client';

/** Time the manager may need beyond a command's limit to kill it and answer. */
const EXEC_ANSWER_MARGIN_MS = 15_000;

/**
 * How long to wait for an exec's answer: the command's own limit plus a margin. Without `timeoutMs`
 * the manager applies its default, which is at most the contract's maximum.
 */
const execAnswerTimeoutMs = (body: ExecRequest): number => (body.timeoutMs ?? ExecLimits.timeoutMaxMs) + EXEC_ANSWER_MARGIN_MS;

/** The container-manager's internal routes (docs/api.md, container-manager sections). */
export class ContainerManagerClient extends ServiceHttpClient {
  constructor(options: ServiceClientOptions) {
    super('container-manager', options);
  }

  health(): Promise<HealthResponse> {
    return this.get(ManagerRoutes.health);
  }

  createSession(body: CreateSandboxRequest): Promise<SandboxSession> {
    return this.post(ManagerRoutes.sessions, body, { timeoutMs: 120_000 });
  }

  listSessions(): Promise<SandboxSessionList> {
    return this.get(ManagerRoutes.sessions);
  }

  getSession(id: string): Promise<SandboxSession> {
    return this.get(ManagerRoutes.session(id));
  }

  stopSession(id: string): Promise<SandboxSession> {
    return this.post(ManagerRoutes.stop(id), undefined, { timeoutMs: 60_000 });
  }

  startSession(id: string): Promise<SandboxSession> {
    return this.post(ManagerRoutes.start(id), undefined, { timeoutMs: 60_000 });
  }

  pauseSession(id: string): Promise<SandboxSession> {
    return this.post(ManagerRoutes.pause(id));
  }

  resumeSession(id: string): Promise<SandboxSession> {
    return this.post(ManagerRoutes.resume(id));
  }

  sessionUsage(id: string): Promise<SessionUsage> {
    return this.get(ManagerRoutes.usage(id));
  }

  deleteSession(id: string): Promise<unknown> {
    return this.delete(ManagerRoutes.session(id), { timeoutMs: 60_000 });
  }

  /**
   * Waits for the command's own time limit plus a margin (`execAnswerTimeoutMs`). Aborting `signal`
   * (or this process dying) before the answer makes the manager kill the command.
   */
  exec(id: string, body: ExecRequest, options: { signal?: AbortSignal } = {}): Promise<ExecResult> {
    return this.post(ManagerRoutes.exec(id), body, { timeoutMs: execAnswerTimeoutMs(body), signal: options.signal });
  }

  /**
   * The streaming exec: `onOutput` gets stdout/stderr chunks as they happen; resolves with the exit.
   * Aborting `signal` drops the stream, and the manager kills the command.
   */
  async execStream(id: string, body: ExecRequest, options: { signal?: AbortSignal; onOutput: (stream: 'stdout' | 'stderr', text: string) => void }): Promise<ExecResult> {
    const response = await this.stream('POST', ManagerRoutes.execStream(id), {
      body,
      signal: options.signal,
      headers: { accept: 'text/event-stream' },
      timeoutMs: execAnswerTimeoutMs(body),
    });
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        buffer = buffer.slice(end + 2);
        if (!data) continue;
        const event = JSON.parse(data) as ExecStreamEvent;
        if (event.type === 'exit') return event.result;
        options.onOutput(event.type, event.data);
      }
    }
    throw new Error(`${this.serviceName} ended the exec stream without an exit`);
  }

  readFile(id: string, path: string): Promise<Buffer> {
    return this.get(ManagerRoutes.fileContent(id), { query: { path }, headers: { accept: 'application/octet-stream' } });
  }

  writeFile(id: string, path: string, content: Buffer): Promise<FileWriteResult> {
    return this.put(ManagerRoutes.fileContent(id), content, { query: { path } });
  }

  listFiles(id: string, path = '.'): Promise<FileList> {
    return this.get(ManagerRoutes.files(id), { query: { path } });
  }

  statFile(id: string, path: string): Promise<FileEntry> {
    return this.get(ManagerRoutes.fileStat(id), { query: { path } });
  }

  mkdir(id: string, path: string): Promise<FileEntry> {
    return this.post(ManagerRoutes.mkdir(id), { path });
  }

  move(id: string, from: string, to: string): Promise<FileEntry> {
    return this.post(ManagerRoutes.move(id), { from, to });
  }

  deleteFile(id: string, path: string): Promise<unknown> {
    return this.delete(ManagerRoutes.files(id), { query: { path } });
  }

  /** Starts a background command (docs/api.md, container-manager: commands). */
  startCommand(id: string, body: StartCommandRequest): Promise<StartCommandResponse> {
    return this.post(ManagerRoutes.commands(id), body);
  }

  listCommands(id: string): Promise<CommandList> {
    return this.get(ManagerRoutes.commands(id));
  }

  getCommand(id: string, commandId: string): Promise<CommandInfo> {
    return this.get(ManagerRoutes.command(id, commandId));
  }

  /** Writes to the command's stdin; `eof` closes it afterwards. */
  sendCommandInput(id: string, commandId: string, data: Buffer, options: { eof?: boolean } = {}): Promise<{ bytes: number }> {
    return this.post(ManagerRoutes.commandInput(id, commandId), data, { query: { eof: options.eof ? 'true' : undefined } });
  }

  signalCommand(id: string, commandId: string, signal: CommandSignal): Promise<{ commandId: string; signal: CommandSignal }> {
    return this.post(ManagerRoutes.commandSignal(id, commandId), { signal });
  }

  /**
   * Follows a command's output from `from` (0: the start, replayed): `onOutput` gets each event with the
   * offset after it (pass it back as `from` to resume); resolves with the exit. Aborting `signal` stops following.
   */
  async followCommandOutput(
    id: string,
    commandId: string,
    options: { from?: number; signal?: AbortSignal; onOutput: (event: CommandOutputEvent, offset: number) => void },
  ): Promise<CommandExitEvent> {
    const response = await this.stream('GET', ManagerRoutes.commandOutput(id, commandId), {
      query: { from: options.from },
      signal: options.signal,
      headers: { accept: 'text/event-stream' },
      // Between two chunks at most (the manager sends a keep-alive comment every 15 s).
      timeoutMs: 60_000,
    });
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.find((line) => line.startsWith('data:'))?.slice(5).trimStart();
        if (!data) continue;
        const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim() ?? 'message';
        if (event === 'exit') return JSON.parse(data) as CommandExitEvent;
        if (event !== 'message') continue;
        const id = Number(lines.find((line) => line.startsWith('id:'))?.slice(3).trim() ?? NaN);
        options.onOutput(JSON.parse(data) as CommandOutputEvent, id);
      }
    }
    throw new Error(`${this.serviceName} ended the command output without an exit`);
  }

  /** Where to open the session's terminal WebSocket (docs/api.md, "Terminal"), with the headers it needs. */
  terminalSocket(id: string, size: { cols: number; rows: number }): { url: string; headers: Record<string, string> } {
    return this.socketTarget(ManagerRoutes.terminal(id), size);
  }

  commit(id: string, body: CommitRequest = {}): Promise<CommitResponse> {
    return this.post(ManagerRoutes.commit(id), body);
  }

  checkpoints(id: string, limit?: number, offset?: number): Promise<CheckpointPage> {
    return this.get(ManagerRoutes.checkpoints(id), { query: { limit, offset } });
  }

  gitStatus(id: string): Promise<GitStatus> {
    return this.get(ManagerRoutes.gitStatus(id));
  }

  diff(id: string, from: string, to?: string): Promise<GitDiff> {
    return this.get(ManagerRoutes.diff(id), { query: { from, to } });
  }

  restore(id: string, commitHash: string): Promise<GitCheckpoint> {
    return this.post(ManagerRoutes.restore(id), { commitHash });
  }

  registerPreview(id: string, port: number): Promise<Preview> {
    return this.post(ManagerRoutes.previews(id), { port });
  }

  listPreviews(id: string): Promise<PreviewList> {
    return this.get(ManagerRoutes.previews(id));
  }

  unregisterPreview(id: string, port: number): Promise<unknown> {
    return this.delete(ManagerRoutes.preview(id, port));
  }

  /** Makes the port private and returns its new token (earlier tokens stop working). */
  issuePreviewToken(id: string, port: number): Promise<PreviewToken> {
    return this.post(ManagerRoutes.previewToken(id, port));
  }

  makePreviewPublic(id: string, port: number): Promise<unknown> {
    return this.delete(ManagerRoutes.previewPrivate(id, port));
  }

  listTemplates(): Promise<TemplateList> {
    return this.get(ManagerRoutes.templates);
  }

  getTemplate(name: string): Promise<Template> {
    return this.get(ManagerRoutes.template(name));
  }

  /** Answers at once (202) with the template BUILDING; the build runs in the manager's background. */
  createTemplate(body: CreateTemplateRequest): Promise<Template> {
    return this.post(ManagerRoutes.templates, body);
  }

  deleteTemplate(name: string): Promise<unknown> {
    return this.delete(ManagerRoutes.template(name), { timeoutMs: 60_000 });
  }
}
