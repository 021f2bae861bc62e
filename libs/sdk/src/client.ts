import {
  CancelRunDocument,
  CancelTaskDocument,
  CheckpointsDocument,
  CommandDocument,
  CommandOutputDocument,
  CommandsDocument,
  CommitCheckpointDocument,
  CreateJobDocument,
  CreateSessionDocument,
  CreateTaskDocument,
  CreateTemplateDocument,
  DeleteFileDocument,
  DeleteJobDocument,
  DeleteSessionDocument,
  DeleteTemplateDocument,
  ExecDocument,
  GitDiffDocument,
  GitStatusDocument,
  InitRunDocument,
  JobDocument,
  JobsDocument,
  ListFilesDocument,
  MakeDirectoryDocument,
  MoveFileDocument,
  OpenTerminalDocument,
  PauseJobDocument,
  PauseSessionDocument,
  PipelinesDocument,
  PreviewsDocument,
  ReadFileDocument,
  RegisterPipelineDocument,
  RegisterPreviewDocument,
  RestoreCheckpointDocument,
  ResumeJobDocument,
  ResumeSessionDocument,
  RevertRunDocument,
  RunDocument,
  RunEventsDocument,
  RunsDocument,
  SendCommandInputDocument,
  SetPreviewPrivateDocument,
  SessionDocument,
  SessionEventsDocument,
  SessionsDocument,
  SessionUsageDocument,
  SignalCommandDocument,
  StartCommandDocument,
  StartRunDocument,
  StartSessionDocument,
  StopSessionDocument,
  SubmitRunInputDocument,
  TaskDocument,
  TaskEventsDocument,
  TasksDocument,
  TemplateDocument,
  TemplatesDocument,
  UnregisterPreviewDocument,
  WriteFileDocument,
  type CommandSignal,
  type CreateJobInput,
  type CreateSessionInput,
  type CreateTaskInput,
  type InitRunInput,
  type SessionStatus,
  type TaskStatus,
} from './generated/graphql.js';
import { NotFoundError, SandboxError, TimeoutError } from './errors.js';
import { GraphQLTransport, type TransportOptions, type TypedDocument } from './transport.js';
import { Terminal } from './terminal.js';
import type { Checkpoint, Command, CommandOutputEvent, ExecResult, FileEntry, GitDiff, GitStatus, Job, Pipeline, Preview, PreviewVisibility, Run, RunEvent, Session, SessionEvent, SessionUsage, Task, TaskEvent, Template } from './types.js';
import { fromBase64, toBase64 } from './base64.js';

export const DEFAULT_API_URL = 'http://localhost:4000';

export interface SandboxClientOptions {
  /** The gateway, e.g. https://sandbox.example.com (default http://localhost:4000). */
  apiUrl?: string;
  /** An API key (`sk_...`), sent as `Authorization: Bearer`. */
  apiKey: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** A WebSocket constructor for subscriptions when the runtime has none (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** Extra headers on every HTTP request. */
  headers?: Record<string, string>;
}

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Kill the command after this many milliseconds (1–600000; the platform's default is 30000). */
  timeoutMs?: number;
  /** Output callbacks: called with the command's output as it arrives (today once, when it ends). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up after this long (default 120000 ms) with a TimeoutError. */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One typed client for the whole platform (docs/developer-surface.md): sessions, exec, files, the git
 * timeline, previews, runs, tasks, jobs and templates. Queries and mutations go over HTTP; event
 * streams (`sessions.events`, `runs.events`, `tasks.events`) over graphql-ws.
 *
 * ```ts
 * const sandbox = new SandboxClient({ apiKey: process.env.SANDBOX_API_KEY! });
 * const session = await sandbox.sessions.create({ template: 'dev' });
 * const { exitCode, stdout } = await sandbox.exec(session.id, 'node --version');
 * ```
 */
export class SandboxClient {
  readonly apiUrl: string;
  private readonly transport: GraphQLTransport;
  private readonly webSocketImpl: unknown;

  constructor(options: SandboxClientOptions) {
    this.apiUrl = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.webSocketImpl = options.webSocketImpl;
    const transportOptions: TransportOptions = { ...options, apiUrl: this.apiUrl };
    this.transport = new GraphQLTransport(transportOptions);
  }

  /** Any generated operation (or one of your own typed documents), for what the helpers below do not cover. */
  request<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): Promise<TResult> {
    return this.transport.request(document, variables, signal);
  }

  /** Any generated subscription, as an async iterator of its results. */
  subscribe<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables): AsyncGenerator<TResult, void, undefined> {
    return this.transport.subscribe(document, variables);
  }

  /** Closes the subscription socket (HTTP needs no closing). */
  close(): Promise<void> {
    return this.transport.close();
  }

  readonly sessions = {
    /** The session, or null when it does not exist or belongs to another owner. */
    get: async (id: string): Promise<Session | null> => {
      try {
        return (await this.request(SessionDocument, { id })).session;
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },

    list: async (filter: { status?: SessionStatus; limit?: number; offset?: number } = {}): Promise<{ sessions: Session[]; total: number }> =>
      (await this.request(SessionsDocument, filter)).sessions,

    /**
     * Creates a session (template or image, env, diskMb, and the lifecycle deadlines idleTimeoutMs,
     * pausedStopMs, maxLifetimeMs). By default waits until it is ACTIVE (or fails with its
     * errorReason) for at most `timeoutMs`; `wait: false` answers at once with the PENDING session.
     */
    create: async (input: Omit<CreateSessionInput, 'env'> & { env?: Record<string, string>; wait?: boolean; timeoutMs?: number } = {}): Promise<Session> => {
      const { wait = true, timeoutMs, ...create } = input;
      const session = (await this.request(CreateSessionDocument, { input: create })).createSession;
      return wait ? this.sessions.waitUntilActive(session.id, { timeoutMs }) : session;
    },

    /** Polls until the session leaves PENDING: resolves when ACTIVE, rejects when ERROR or STOPPED. */
    waitUntilActive: async (id: string, options: WaitOptions = {}): Promise<Session> => {
      const deadline = Date.now() + (options.timeoutMs ?? 120_000);
      for (let delay = 200; ; delay = Math.min(delay * 1.5, 1_000)) {
        const session = await this.sessions.get(id);
        if (!session) throw new NotFoundError(`Session ${id} not found`, 'NOT_FOUND', 404);
        if (session.status === 'ACTIVE') return session;
        if (session.status !== 'PENDING') {
          throw new SessionFailedError(`Session ${id} is ${session.status}${session.errorReason ? `: ${session.errorReason}` : ''}`, session);
        }
        if (Date.now() + delay > deadline) throw new TimeoutError(`Session ${id} still PENDING after ${options.timeoutMs ?? 120_000} ms`, 'TIMEOUT');
        await sleep(delay);
      }
    },

    stop: async (id: string): Promise<Session> => (await this.request(StopSessionDocument, { id })).stopSession,
    start: async (id: string): Promise<Session> => (await this.request(StartSessionDocument, { id })).startSession,
    /** Freezes the session's sandbox (PAUSED); an exec, file call, command or preview request resumes it. */
    pause: async (id: string): Promise<Session> => (await this.request(PauseSessionDocument, { id })).pauseSession,
    /** Thaws a PAUSED session (ACTIVE again). */
    resume: async (id: string): Promise<Session> => (await this.request(ResumeSessionDocument, { id })).resumeSession,
    /** What the sandbox consumes now (CPU, memory, network, disk); null while it has no sandbox (PENDING). */
    usage: async (id: string): Promise<SessionUsage | null> => (await this.request(SessionUsageDocument, { id })).session?.usage ?? null,
    delete: async (id: string): Promise<boolean> => (await this.request(DeleteSessionDocument, { id })).deleteSession,

    /** Status changes and new checkpoints of a session, live (graphql-ws). Break out of the loop to stop. */
    events: (sessionId: string): AsyncIterable<SessionEvent> => this.map(SessionEventsDocument, { sessionId }, (data) => data.sessionEvents),
  };

  /**
   * Runs `command` with `sh -c` in the session's sandbox and resolves when it ends, with its exit
   * code (null when killed by the timeout), stdout and stderr. A non-zero exit is a result, not an error.
   */
  async exec(sessionId: string, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { onStdout, onStderr, signal, ...input } = options;
    const result = (await this.request(ExecDocument, { sessionId, input: { command, ...input } }, signal)).exec;
    if (result.stdout) onStdout?.(result.stdout);
    if (result.stderr) onStderr?.(result.stderr);
    return result;
  }

  /** Background commands: started, fed stdin, signalled, their output replayed then followed. */
  readonly commands = {
    /** Starts `command` (`sh -c`) in the background; follow it with `output`. */
    start: async (sessionId: string, command: string, options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Command> =>
      (await this.request(StartCommandDocument, { sessionId, input: { command, ...options } })).startCommand,
    list: async (sessionId: string): Promise<Command[]> => (await this.request(CommandsDocument, { sessionId })).commands,
    get: async (sessionId: string, commandId: string): Promise<Command> => (await this.request(CommandDocument, { sessionId, commandId })).command,
    /** Writes to the command's stdin (`eof` closes it afterwards); returns the bytes written. */
    sendInput: async (sessionId: string, commandId: string, input: string | Uint8Array, options: { eof?: boolean } = {}): Promise<number> => {
      const data = typeof input === 'string' ? { text: input } : { base64: toBase64(input) };
      return (await this.request(SendCommandInputDocument, { sessionId, commandId, ...data, eof: options.eof ?? false })).sendCommandInput;
    },
    signal: async (sessionId: string, commandId: string, signal: CommandSignal): Promise<boolean> => (await this.request(SignalCommandDocument, { sessionId, commandId, signal })).signalCommand,
    /** The output kept from `from` (0: the start), then live; the last event carries `exit`. */
    output: (sessionId: string, commandId: string, options: { from?: number } = {}): AsyncIterable<CommandOutputEvent> =>
      this.map(CommandOutputDocument, { sessionId, commandId, from: options.from ?? 0 }, (data) => data.commandOutput),
  };

  /**
   * An interactive PTY shell in the sandbox over a WebSocket (a one-time ticket from openTerminal, valid 60 s).
   * `timeoutMs` (default 30000): how long the socket may take to open before a TimeoutError.
   */
  readonly terminal = {
    open: async (sessionId: string, options: { cols?: number; rows?: number; timeoutMs?: number } = {}): Promise<Terminal> => {
      const { url } = (await this.request(OpenTerminalDocument, { sessionId, cols: options.cols, rows: options.rows })).openTerminal;
      return Terminal.connect(url, this.apiUrl, this.webSocketImpl, options.timeoutMs);
    },
  };

  readonly files = {
    /** A text file (UTF-8). */
    read: async (sessionId: string, path: string): Promise<string> => (await this.request(ReadFileDocument, { sessionId, path, encoding: 'UTF8' })).readFile,
    /** Any file, as bytes. */
    readBytes: async (sessionId: string, path: string): Promise<Uint8Array> =>
      fromBase64((await this.request(ReadFileDocument, { sessionId, path, encoding: 'BASE64' })).readFile),
    /** Creates or replaces a file; a string is written as UTF-8, bytes as they are. Parent directories are created. */
    write: async (sessionId: string, path: string, content: string | Uint8Array): Promise<void> => {
      const variables =
        typeof content === 'string' ? { sessionId, path, content, encoding: 'UTF8' as const } : { sessionId, path, content: toBase64(content), encoding: 'BASE64' as const };
      await this.request(WriteFileDocument, variables);
    },
    list: async (sessionId: string, path = '.'): Promise<FileEntry[]> => (await this.request(ListFilesDocument, { sessionId, path })).listFiles,
    mkdir: async (sessionId: string, path: string): Promise<FileEntry> => (await this.request(MakeDirectoryDocument, { sessionId, path })).makeDirectory,
    move: async (sessionId: string, from: string, to: string): Promise<FileEntry> => (await this.request(MoveFileDocument, { sessionId, from, to })).moveFile,
    remove: async (sessionId: string, path: string): Promise<void> => {
      await this.request(DeleteFileDocument, { sessionId, path });
    },
  };

  /** The git checkpoint timeline of a session's workspace. */
  readonly git = {
    /** Newest first. */
    checkpoints: async (sessionId: string, page: { limit?: number; offset?: number } = {}): Promise<Checkpoint[]> =>
      (await this.request(CheckpointsDocument, { sessionId, ...page })).checkpoints,
    /** Commits the workspace now; null when nothing changed since the last checkpoint. */
    commit: async (sessionId: string, options: { description?: string; messageNumber?: number } = {}): Promise<Checkpoint | null> =>
      (await this.request(CommitCheckpointDocument, { sessionId, ...options })).commitCheckpoint,
    /** The workspace against its last checkpoint: changed files and whether it is clean. */
    status: async (sessionId: string): Promise<GitStatus> => (await this.request(GitStatusDocument, { sessionId })).gitStatus,
    /** A unified diff from checkpoint `from` to `to`, or to the workspace as it is now; short hashes accepted. */
    diff: async (sessionId: string, from: string, to?: string): Promise<GitDiff> => (await this.request(GitDiffDocument, { sessionId, from, to })).gitDiff,
    /** Puts the workspace back as it was at `commitHash` (a unique prefix is enough); the restore is itself a new checkpoint. */
    restore: async (sessionId: string, commitHash: string): Promise<Checkpoint> => (await this.request(RestoreCheckpointDocument, { sessionId, commitHash })).restoreCheckpoint,
  };

  readonly previews = {
    /** A URL for a port a server in the sandbox listens on. */
    register: async (sessionId: string, port: number): Promise<Preview> => (await this.request(RegisterPreviewDocument, { sessionId, port })).registerPreview,
    list: async (sessionId: string): Promise<Preview[]> => (await this.request(PreviewsDocument, { sessionId })).previews,
    unregister: async (sessionId: string, port: number): Promise<boolean> => (await this.request(UnregisterPreviewDocument, { sessionId, port })).unregisterPreview,
    /** `true`: only requests with the returned token get through (shown once); `false`: public again. */
    setPrivate: async (sessionId: string, port: number, isPrivate: boolean): Promise<PreviewVisibility> =>
      (await this.request(SetPreviewPrivateDocument, { sessionId, port, private: isPrivate })).setPreviewPrivate,
  };

  /** Runs: a pipeline's work in a session, streamed as numbered events and steered with input. */
  readonly runs = {
    /** A new session from a git repository, and its first run (bootstrap by default). */
    init: async (input: InitRunInput): Promise<{ session: Session; run: Run }> => (await this.request(InitRunDocument, { input })).initRun,
    start: async (sessionId: string, pipeline: string, input?: unknown): Promise<Run> => (await this.request(StartRunDocument, { sessionId, pipeline, input })).startRun,
    /** Answers the run waiting for input, or continues the conversation with a new plan run. */
    submitInput: async (sessionId: string, input: string, runId?: string): Promise<Run> => (await this.request(SubmitRunInputDocument, { sessionId, input, runId })).submitRunInput,
    cancel: async (runId: string): Promise<Run> => (await this.request(CancelRunDocument, { runId })).cancelRun,
    /** Restores the workspace to the checkpoint taken before the run. */
    revert: async (runId: string): Promise<Checkpoint> => (await this.request(RevertRunDocument, { runId })).revertRun,
    get: async (id: string): Promise<Run | null> => (await this.request(RunDocument, { id })).run,
    list: async (sessionId: string, page: { limit?: number; offset?: number } = {}): Promise<{ runs: Run[]; total: number }> =>
      (await this.request(RunsDocument, { sessionId, ...page })).runs,
    pipelines: async (): Promise<Pipeline[]> => (await this.request(PipelinesDocument, {})).pipelines,
    registerPipeline: async (name: string, steps: unknown[]): Promise<Pipeline> => (await this.request(RegisterPipelineDocument, { input: { name, steps } })).registerPipeline,
    /**
     * The run's events after `afterSeq` (0: all of them), then live ones; the iteration ends after
     * COMPLETE or ERROR. `for await (const event of sandbox.runs.events(run.id)) ...`
     */
    events: (runId: string, options: { afterSeq?: number } = {}): AsyncIterable<RunEvent> =>
      this.map(RunEventsDocument, { runId, afterSeq: options.afterSeq ?? 0 }, (data) => data.runEvents),
  };

  readonly tasks = {
    create: async (input: CreateTaskInput): Promise<Task> => (await this.request(CreateTaskDocument, { input })).createTask,
    get: async (taskId: string): Promise<Task | null> => (await this.request(TaskDocument, { taskId })).task,
    list: async (filter: { status?: TaskStatus; type?: string; limit?: number; offset?: number } = {}): Promise<{ tasks: Task[]; total: number }> =>
      (await this.request(TasksDocument, filter)).tasks,
    cancel: async (taskId: string): Promise<Task> => (await this.request(CancelTaskDocument, { taskId })).cancelTask,
    /** Past events of the task, then live ones, ending with COMPLETE or ERROR. */
    events: (taskId: string): AsyncIterable<TaskEvent> => this.map(TaskEventsDocument, { taskId }, (data) => data.taskEvents),
  };

  readonly jobs = {
    create: async (input: CreateJobInput): Promise<Job> => (await this.request(CreateJobDocument, { input })).createJob,
    get: async (jobId: string): Promise<Job | null> => (await this.request(JobDocument, { jobId })).job,
    list: async (): Promise<Job[]> => (await this.request(JobsDocument, {})).jobs,
    pause: async (jobId: string): Promise<Job> => (await this.request(PauseJobDocument, { jobId })).pauseJob,
    resume: async (jobId: string): Promise<Job> => (await this.request(ResumeJobDocument, { jobId })).resumeJob,
    delete: async (jobId: string): Promise<boolean> => (await this.request(DeleteJobDocument, { jobId })).deleteJob,
  };

  readonly templates = {
    list: async (): Promise<Template[]> => (await this.request(TemplatesDocument, {})).templates,
    get: async (name: string): Promise<Template | null> => (await this.request(TemplateDocument, { name })).template,
    /** Starts a build (status BUILDING); poll `get(name)` for READY or FAILED. */
    create: async (name: string, dockerfile: string): Promise<Template> => (await this.request(CreateTemplateDocument, { name, dockerfile })).createTemplate,
    delete: async (name: string): Promise<boolean> => (await this.request(DeleteTemplateDocument, { name })).deleteTemplate,
  };

  private map<TResult, TVariables, T>(document: TypedDocument<TResult, TVariables>, variables: TVariables, pick: (data: TResult) => T): AsyncIterable<T> {
    const transport = this.transport;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const data of transport.subscribe(document, variables)) yield pick(data);
      },
    };
  }
}

/** `sessions.create` / `waitUntilActive` found the session in ERROR (or STOPPED) instead of ACTIVE. */
export class SessionFailedError extends SandboxError {
  constructor(
    message: string,
    readonly session: Session,
  ) {
    super(message, 'SESSION_FAILED');
  }
}
