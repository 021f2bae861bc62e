/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Signals a command’s process group may be sent. */
export type CommandSignal =
  | 'SIGCONT'
  | 'SIGHUP'
  | 'SIGINT'
  | 'SIGKILL'
  | 'SIGQUIT'
  | 'SIGSTOP'
  | 'SIGTERM'
  | 'SIGTSTP'
  | 'SIGUSR1'
  | 'SIGUSR2'
  | 'SIGWINCH';

/** KILLED: ended by a signal; EXITED: ended on its own. */
export type CommandStatus =
  | 'EXITED'
  | 'KILLED'
  | 'RUNNING';

export type CommandStream =
  | 'STDERR'
  | 'STDOUT';

export type CreateJobInput = {
  /** Cron expression, 5 or 6 fields. */
  cron: string;
  name: string;
  payload?: unknown;
  /** IANA time zone, default UTC. */
  timezone?: string | null | undefined;
  type: string;
};

export type CreateSessionInput = {
  /** Size of the session's workspace in MB (workspace and checkpoint history), at most the manager's WORKSPACE_QUOTA_MB (the default). */
  diskMb?: number | null | undefined;
  /** Environment variables: { NAME: "value" }. */
  env?: unknown;
  /** Pause the session after this long without activity (ms); 0: never; default: the platform's (15 min). */
  idleTimeoutMs?: number | null | undefined;
  /** Another way to name a READY template: its image (e.g. `sandbox-base:local`), kept from before templates. Not with `template`. */
  image?: string | null | undefined;
  /** Stop the session this long after its sandbox started, however busy (ms); 0: no limit; default: the platform's. */
  maxLifetimeMs?: number | null | undefined;
  /** Stop the session after this long paused (ms); 0: never; default: the platform's (1 h). */
  pausedStopMs?: number | null | undefined;
  /** A READY template (see `templates`); SANDBOX_DEFAULT_TEMPLATE (dev) when omitted. */
  template?: string | null | undefined;
};

export type CreateTaskInput = {
  maxAttempts?: number | null | undefined;
  /** Handler input; an object. */
  payload?: unknown;
  priority?: TaskPriority;
  /** A task type the worker knows, e.g. sandbox.exec. */
  type: string;
};

export type ExecInput = {
  /** Run with `sh -c` in the sandbox. */
  command: string;
  cwd?: string | null | undefined;
  env?: unknown;
  stdin?: string | null | undefined;
  timeoutMs?: number | null | undefined;
};

export type FileEncoding =
  | 'BASE64'
  | 'UTF8';

export type FileType =
  | 'DIR'
  | 'FILE'
  | 'SYMLINK';

export type InitRunInput = {
  /** The first run's pipeline; bootstrap when omitted. */
  pipeline?: string | null | undefined;
  /** Branch or tag to clone; the default branch when omitted. */
  ref?: string | null | undefined;
  /** https://, http://, ssh:// or git@host:path; nothing else (no file://, local paths or options). */
  repoUrl: string;
  /** Template of the new session; the default template (dev) when omitted. */
  template?: string | null | undefined;
  /** Token of a private repository, for this run's clone only: never stored in plain text, never in an event, a log or the workspace. */
  token?: string | null | undefined;
};

export type JobStatus =
  | 'ACTIVE'
  | 'FAILED'
  | 'PAUSED';

export type RegisterPipelineInput = {
  name: string;
  /** Steps, each { kind: exec | checkpoint | agent | input | task, ... } (docs/runs.md). */
  steps: unknown;
};

/** COMPLETE (run SUCCEEDED) or ERROR (FAILED, CANCELLED) is always the last event of a run. */
export type RunEventType =
  | 'COMPLETE'
  | 'ERROR'
  | 'INPUT_REQUIRED'
  | 'LOG'
  | 'PROGRESS'
  | 'STEP';

/** QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; RUNNING → AWAITING_INPUT → (submitRunInput) QUEUED. QUEUED, RUNNING and AWAITING_INPUT are active: at most one per session. */
export type RunStatus =
  | 'AWAITING_INPUT'
  | 'CANCELLED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type SessionEventType =
  | 'CHECKPOINT_CREATED'
  | 'DELETED'
  | 'SNAPSHOT'
  | 'STATUS_CHANGED';

/** PENDING → ACTIVE → STOPPED; any → ERROR; STOPPED → ACTIVE on restart; ACTIVE ⇄ PAUSED (idle or pauseSession; any use resumes), PAUSED → STOPPED. */
export type SessionStatus =
  | 'ACTIVE'
  | 'ERROR'
  | 'PAUSED'
  | 'PENDING'
  | 'STOPPED';

export type StartCommandInput = {
  /** Run with `sh -c` in the sandbox, in the background. */
  command: string;
  /** Relative to /workspace, or absolute inside it. */
  cwd?: string | null | undefined;
  env?: unknown;
};

export type TaskEventType =
  | 'COMPLETE'
  | 'ERROR'
  | 'LOG'
  | 'PROGRESS';

/** LOW = 1, NORMAL = 5, HIGH = 10 on the worker. */
export type TaskPriority =
  | 'HIGH'
  | 'LOW'
  | 'NORMAL';

/** pending → PENDING; processing, retrying → IN_PROGRESS; completed → COMPLETED; failed, cancelled → FAILED. */
export type TaskStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'PENDING';

/** BUILDING → READY, or FAILED (see buildLog). */
export type TemplateStatus =
  | 'BUILDING'
  | 'FAILED'
  | 'READY';

export type CommandFieldsFragment = { commandId: string, command: unknown, status: CommandStatus, exitCode: number | null, signal: string | null, startedAt: string, finishedAt: string | null };

export type StartCommandMutationVariables = Exact<{
  sessionId: string | number;
  input: StartCommandInput;
}>;


export type StartCommandMutation = { startCommand: { commandId: string, command: unknown, status: CommandStatus, exitCode: number | null, signal: string | null, startedAt: string, finishedAt: string | null } };

export type CommandsQueryVariables = Exact<{
  sessionId: string | number;
}>;


export type CommandsQuery = { commands: Array<{ commandId: string, command: unknown, status: CommandStatus, exitCode: number | null, signal: string | null, startedAt: string, finishedAt: string | null }> };

export type CommandQueryVariables = Exact<{
  sessionId: string | number;
  commandId: string | number;
}>;


export type CommandQuery = { command: { commandId: string, command: unknown, status: CommandStatus, exitCode: number | null, signal: string | null, startedAt: string, finishedAt: string | null } };

export type SendCommandInputMutationVariables = Exact<{
  sessionId: string | number;
  commandId: string | number;
  text?: string | null | undefined;
  base64?: string | null | undefined;
  eof?: boolean | null | undefined;
}>;


export type SendCommandInputMutation = { sendCommandInput: number };

export type SignalCommandMutationVariables = Exact<{
  sessionId: string | number;
  commandId: string | number;
  signal: CommandSignal;
}>;


export type SignalCommandMutation = { signalCommand: boolean };

export type CommandOutputSubscriptionVariables = Exact<{
  sessionId: string | number;
  commandId: string | number;
  from?: number | null | undefined;
}>;


export type CommandOutputSubscription = { commandOutput: { stream: CommandStream | null, text: string | null, base64: string | null, offset: number, exit: { status: CommandStatus, exitCode: number | null, signal: string | null } | null } };

export type OpenTerminalMutationVariables = Exact<{
  sessionId: string | number;
  cols?: number | null | undefined;
  rows?: number | null | undefined;
}>;


export type OpenTerminalMutation = { openTerminal: { url: string, expiresAt: string } };

export type ReadFileQueryVariables = Exact<{
  sessionId: string | number;
  path: string;
  encoding?: FileEncoding | null | undefined;
}>;


export type ReadFileQuery = { readFile: string };

export type WriteFileMutationVariables = Exact<{
  sessionId: string | number;
  path: string;
  content: string;
  encoding?: FileEncoding | null | undefined;
}>;


export type WriteFileMutation = { writeFile: boolean };

export type ListFilesQueryVariables = Exact<{
  sessionId: string | number;
  path?: string | null | undefined;
}>;


export type ListFilesQuery = { listFiles: Array<{ name: string, path: string, type: FileType, size: number, mtime: string }> };

export type MakeDirectoryMutationVariables = Exact<{
  sessionId: string | number;
  path: string;
}>;


export type MakeDirectoryMutation = { makeDirectory: { name: string, path: string, type: FileType, size: number, mtime: string } };

export type MoveFileMutationVariables = Exact<{
  sessionId: string | number;
  from: string;
  to: string;
}>;


export type MoveFileMutation = { moveFile: { name: string, path: string, type: FileType, size: number, mtime: string } };

export type DeleteFileMutationVariables = Exact<{
  sessionId: string | number;
  path: string;
}>;


export type DeleteFileMutation = { deleteFile: boolean };

export type SessionFieldsFragment = { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null };

export type SessionUsageFieldsFragment = { cpuPercent: number, memoryBytes: number, networkRxBytes: number, networkTxBytes: number, diskBytes: number | null, sampledAt: string };

export type CheckpointFieldsFragment = { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string };

export type FileEntryFieldsFragment = { name: string, path: string, type: FileType, size: number, mtime: string };

export type ExecResultFieldsFragment = { exitCode: number | null, stdout: string, stderr: string, timedOut: boolean, durationMs: number, truncated: boolean };

export type PreviewFieldsFragment = { sessionId: string, port: number, url: string, private: boolean };

export type TaskFieldsFragment = { id: string, type: string, status: TaskStatus, rawStatus: string, priority: TaskPriority, payload: unknown, result: unknown, error: string | null, attempts: number, maxAttempts: number, jobId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null };

export type JobFieldsFragment = { id: string, name: string, type: string, cron: string, timezone: string, payload: unknown, status: JobStatus, rawStatus: string, consecutiveFailures: number, lastRunAt: string | null, nextRunAt: string | null, createdAt: string, updatedAt: string };

export type TemplateFieldsFragment = { name: string, status: TemplateStatus, builtIn: boolean, baseTemplate: string | null, sizeBytes: number | null, buildLog: string, createdAt: string };

export type RunFieldsFragment = { id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null };

export type RunEventFieldsFragment = { runId: string, seq: number, type: RunEventType, message: string, data: unknown, timestamp: string };

export type CheckpointsQueryVariables = Exact<{
  sessionId: string | number;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type CheckpointsQuery = { checkpoints: Array<{ id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string }> };

export type CommitCheckpointMutationVariables = Exact<{
  sessionId: string | number;
  description?: string | null | undefined;
  messageNumber?: number | null | undefined;
}>;


export type CommitCheckpointMutation = { commitCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null };

export type RestoreCheckpointMutationVariables = Exact<{
  sessionId: string | number;
  commitHash: string;
}>;


export type RestoreCheckpointMutation = { restoreCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } };

export type GitStatusQueryVariables = Exact<{
  sessionId: string | number;
}>;


export type GitStatusQuery = { gitStatus: { clean: boolean, head: string | null, files: Array<{ path: string, index: string, workingDir: string }> } };

export type GitDiffQueryVariables = Exact<{
  sessionId: string | number;
  from: string;
  to?: string | null | undefined;
}>;


export type GitDiffQuery = { gitDiff: { from: string, to: string | null, diff: string, truncated: boolean, binaryFiles: Array<string> } };

export type RegisterPreviewMutationVariables = Exact<{
  sessionId: string | number;
  port: number;
}>;


export type RegisterPreviewMutation = { registerPreview: { sessionId: string, port: number, url: string, private: boolean } };

export type PreviewsQueryVariables = Exact<{
  sessionId: string | number;
}>;


export type PreviewsQuery = { previews: Array<{ sessionId: string, port: number, url: string, private: boolean }> };

export type UnregisterPreviewMutationVariables = Exact<{
  sessionId: string | number;
  port: number;
}>;


export type UnregisterPreviewMutation = { unregisterPreview: boolean };

export type SetPreviewPrivateMutationVariables = Exact<{
  sessionId: string | number;
  port: number;
  private: boolean;
}>;


export type SetPreviewPrivateMutation = { setPreviewPrivate: { sessionId: string, port: number, private: boolean, token: string | null } };

export type InitRunMutationVariables = Exact<{
  input: InitRunInput;
}>;


export type InitRunMutation = { initRun: { session: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null }, run: { id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null } } };

export type StartRunMutationVariables = Exact<{
  sessionId: string | number;
  pipeline: string;
  input?: unknown;
}>;


export type StartRunMutation = { startRun: { id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null } };

export type SubmitRunInputMutationVariables = Exact<{
  sessionId: string | number;
  input: string;
  runId?: string | number | null | undefined;
}>;


export type SubmitRunInputMutation = { submitRunInput: { id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null } };

export type CancelRunMutationVariables = Exact<{
  runId: string | number;
}>;


export type CancelRunMutation = { cancelRun: { id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null } };

export type RevertRunMutationVariables = Exact<{
  runId: string | number;
}>;


export type RevertRunMutation = { revertRun: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } };

export type RunQueryVariables = Exact<{
  id: string | number;
}>;


export type RunQuery = { run: { id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null } | null };

export type RunsQueryVariables = Exact<{
  sessionId: string | number;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type RunsQuery = { runs: { total: number, runs: Array<{ id: string, sessionId: string, pipeline: string, status: RunStatus, input: unknown, result: unknown, error: string | null, attempt: number, lastSeq: number, parentRunId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, baseCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null, resultCheckpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null }> } };

export type PipelinesQueryVariables = Exact<{ [key: string]: never; }>;


export type PipelinesQuery = { pipelines: Array<{ name: string, builtIn: boolean, steps: unknown, createdAt: string | null, updatedAt: string | null }> };

export type RegisterPipelineMutationVariables = Exact<{
  input: RegisterPipelineInput;
}>;


export type RegisterPipelineMutation = { registerPipeline: { name: string, builtIn: boolean, steps: unknown, createdAt: string | null, updatedAt: string | null } };

export type RunEventsSubscriptionVariables = Exact<{
  runId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type RunEventsSubscription = { runEvents: { runId: string, seq: number, type: RunEventType, message: string, data: unknown, timestamp: string } };

export type SessionQueryVariables = Exact<{
  id: string | number;
}>;


export type SessionQuery = { session: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null } | null };

export type SessionsQueryVariables = Exact<{
  status?: SessionStatus | null | undefined;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type SessionsQuery = { sessions: { total: number, sessions: Array<{ id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null }> } };

export type CreateSessionMutationVariables = Exact<{
  input?: CreateSessionInput | null | undefined;
}>;


export type CreateSessionMutation = { createSession: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null } };

export type StopSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type StopSessionMutation = { stopSession: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null } };

export type StartSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type StartSessionMutation = { startSession: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null } };

export type PauseSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type PauseSessionMutation = { pauseSession: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null } };

export type ResumeSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type ResumeSessionMutation = { resumeSession: { id: string, status: SessionStatus, template: string | null, image: string | null, errorReason: string | null, createdAt: string, updatedAt: string, startedAt: string | null, stoppedAt: string | null, repoUrl: string | null, repoName: string | null } };

export type SessionUsageQueryVariables = Exact<{
  id: string | number;
}>;


export type SessionUsageQuery = { session: { usage: { cpuPercent: number, memoryBytes: number, networkRxBytes: number, networkTxBytes: number, diskBytes: number | null, sampledAt: string } | null } | null };

export type DeleteSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteSessionMutation = { deleteSession: boolean };

export type SessionEventsSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type SessionEventsSubscription = { sessionEvents: { type: SessionEventType, sessionId: string, at: string, status: SessionStatus | null, errorReason: string | null, checkpoint: { id: string, sessionId: string, commitHash: string, filesChanged: number, messageNumber: number | null, description: string | null, runId: string | null, createdAt: string } | null } };

export type ExecMutationVariables = Exact<{
  sessionId: string | number;
  input: ExecInput;
}>;


export type ExecMutation = { exec: { exitCode: number | null, stdout: string, stderr: string, timedOut: boolean, durationMs: number, truncated: boolean } };

export type TaskQueryVariables = Exact<{
  taskId: string;
}>;


export type TaskQuery = { task: { id: string, type: string, status: TaskStatus, rawStatus: string, priority: TaskPriority, payload: unknown, result: unknown, error: string | null, attempts: number, maxAttempts: number, jobId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null } | null };

export type TasksQueryVariables = Exact<{
  status?: TaskStatus | null | undefined;
  type?: string | null | undefined;
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type TasksQuery = { tasks: { total: number, tasks: Array<{ id: string, type: string, status: TaskStatus, rawStatus: string, priority: TaskPriority, payload: unknown, result: unknown, error: string | null, attempts: number, maxAttempts: number, jobId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null }> } };

export type CreateTaskMutationVariables = Exact<{
  input: CreateTaskInput;
}>;


export type CreateTaskMutation = { createTask: { id: string, type: string, status: TaskStatus, rawStatus: string, priority: TaskPriority, payload: unknown, result: unknown, error: string | null, attempts: number, maxAttempts: number, jobId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null } };

export type CancelTaskMutationVariables = Exact<{
  taskId: string;
}>;


export type CancelTaskMutation = { cancelTask: { id: string, type: string, status: TaskStatus, rawStatus: string, priority: TaskPriority, payload: unknown, result: unknown, error: string | null, attempts: number, maxAttempts: number, jobId: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null } };

export type TaskEventsSubscriptionVariables = Exact<{
  taskId: string;
}>;


export type TaskEventsSubscription = { taskEvents: { taskId: string, type: TaskEventType, message: string, progress: number | null, data: unknown, timestamp: string } };

export type JobQueryVariables = Exact<{
  jobId: string;
}>;


export type JobQuery = { job: { id: string, name: string, type: string, cron: string, timezone: string, payload: unknown, status: JobStatus, rawStatus: string, consecutiveFailures: number, lastRunAt: string | null, nextRunAt: string | null, createdAt: string, updatedAt: string } | null };

export type JobsQueryVariables = Exact<{ [key: string]: never; }>;


export type JobsQuery = { jobs: Array<{ id: string, name: string, type: string, cron: string, timezone: string, payload: unknown, status: JobStatus, rawStatus: string, consecutiveFailures: number, lastRunAt: string | null, nextRunAt: string | null, createdAt: string, updatedAt: string }> };

export type CreateJobMutationVariables = Exact<{
  input: CreateJobInput;
}>;


export type CreateJobMutation = { createJob: { id: string, name: string, type: string, cron: string, timezone: string, payload: unknown, status: JobStatus, rawStatus: string, consecutiveFailures: number, lastRunAt: string | null, nextRunAt: string | null, createdAt: string, updatedAt: string } };

export type PauseJobMutationVariables = Exact<{
  jobId: string;
}>;


export type PauseJobMutation = { pauseJob: { id: string, name: string, type: string, cron: string, timezone: string, payload: unknown, status: JobStatus, rawStatus: string, consecutiveFailures: number, lastRunAt: string | null, nextRunAt: string | null, createdAt: string, updatedAt: string } };

export type ResumeJobMutationVariables = Exact<{
  jobId: string;
}>;


export type ResumeJobMutation = { resumeJob: { id: string, name: string, type: string, cron: string, timezone: string, payload: unknown, status: JobStatus, rawStatus: string, consecutiveFailures: number, lastRunAt: string | null, nextRunAt: string | null, createdAt: string, updatedAt: string } };

export type DeleteJobMutationVariables = Exact<{
  jobId: string;
}>;


export type DeleteJobMutation = { deleteJob: boolean };

export type TemplatesQueryVariables = Exact<{ [key: string]: never; }>;


export type TemplatesQuery = { templates: Array<{ name: string, status: TemplateStatus, builtIn: boolean, baseTemplate: string | null, sizeBytes: number | null, buildLog: string, createdAt: string }> };

export type TemplateQueryVariables = Exact<{
  name: string;
}>;


export type TemplateQuery = { template: { name: string, status: TemplateStatus, builtIn: boolean, baseTemplate: string | null, sizeBytes: number | null, buildLog: string, createdAt: string } | null };

export type CreateTemplateMutationVariables = Exact<{
  name: string;
  dockerfile: string;
}>;


export type CreateTemplateMutation = { createTemplate: { name: string, status: TemplateStatus, builtIn: boolean, baseTemplate: string | null, sizeBytes: number | null, buildLog: string, createdAt: string } };

export type DeleteTemplateMutationVariables = Exact<{
  name: string;
}>;


export type DeleteTemplateMutation = { deleteTemplate: boolean };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const CommandFieldsFragmentDoc = new TypedDocumentString(`
    fragment CommandFields on Command {
  commandId
  command
  status
  exitCode
  signal
  startedAt
  finishedAt
}
    `, {"fragmentName":"CommandFields"}) as unknown as TypedDocumentString<CommandFieldsFragment, unknown>;
export const SessionFieldsFragmentDoc = new TypedDocumentString(`
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}
    `, {"fragmentName":"SessionFields"}) as unknown as TypedDocumentString<SessionFieldsFragment, unknown>;
export const SessionUsageFieldsFragmentDoc = new TypedDocumentString(`
    fragment SessionUsageFields on SessionUsage {
  cpuPercent
  memoryBytes
  networkRxBytes
  networkTxBytes
  diskBytes
  sampledAt
}
    `, {"fragmentName":"SessionUsageFields"}) as unknown as TypedDocumentString<SessionUsageFieldsFragment, unknown>;
export const FileEntryFieldsFragmentDoc = new TypedDocumentString(`
    fragment FileEntryFields on FileEntry {
  name
  path
  type
  size
  mtime
}
    `, {"fragmentName":"FileEntryFields"}) as unknown as TypedDocumentString<FileEntryFieldsFragment, unknown>;
export const ExecResultFieldsFragmentDoc = new TypedDocumentString(`
    fragment ExecResultFields on ExecResult {
  exitCode
  stdout
  stderr
  timedOut
  durationMs
  truncated
}
    `, {"fragmentName":"ExecResultFields"}) as unknown as TypedDocumentString<ExecResultFieldsFragment, unknown>;
export const PreviewFieldsFragmentDoc = new TypedDocumentString(`
    fragment PreviewFields on Preview {
  sessionId
  port
  url
  private
}
    `, {"fragmentName":"PreviewFields"}) as unknown as TypedDocumentString<PreviewFieldsFragment, unknown>;
export const TaskFieldsFragmentDoc = new TypedDocumentString(`
    fragment TaskFields on Task {
  id
  type
  status
  rawStatus
  priority
  payload
  result
  error
  attempts
  maxAttempts
  jobId
  createdAt
  updatedAt
  startedAt
  finishedAt
}
    `, {"fragmentName":"TaskFields"}) as unknown as TypedDocumentString<TaskFieldsFragment, unknown>;
export const JobFieldsFragmentDoc = new TypedDocumentString(`
    fragment JobFields on Job {
  id
  name
  type
  cron
  timezone
  payload
  status
  rawStatus
  consecutiveFailures
  lastRunAt
  nextRunAt
  createdAt
  updatedAt
}
    `, {"fragmentName":"JobFields"}) as unknown as TypedDocumentString<JobFieldsFragment, unknown>;
export const TemplateFieldsFragmentDoc = new TypedDocumentString(`
    fragment TemplateFields on Template {
  name
  status
  builtIn
  baseTemplate
  sizeBytes
  buildLog
  createdAt
}
    `, {"fragmentName":"TemplateFields"}) as unknown as TypedDocumentString<TemplateFieldsFragment, unknown>;
export const CheckpointFieldsFragmentDoc = new TypedDocumentString(`
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
    `, {"fragmentName":"CheckpointFields"}) as unknown as TypedDocumentString<CheckpointFieldsFragment, unknown>;
export const RunFieldsFragmentDoc = new TypedDocumentString(`
    fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}`, {"fragmentName":"RunFields"}) as unknown as TypedDocumentString<RunFieldsFragment, unknown>;
export const RunEventFieldsFragmentDoc = new TypedDocumentString(`
    fragment RunEventFields on RunEvent {
  runId
  seq
  type
  message
  data
  timestamp
}
    `, {"fragmentName":"RunEventFields"}) as unknown as TypedDocumentString<RunEventFieldsFragment, unknown>;
export const StartCommandDocument = new TypedDocumentString(`
    mutation StartCommand($sessionId: ID!, $input: StartCommandInput!) {
  startCommand(sessionId: $sessionId, input: $input) {
    ...CommandFields
  }
}
    fragment CommandFields on Command {
  commandId
  command
  status
  exitCode
  signal
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<StartCommandMutation, StartCommandMutationVariables>;
export const CommandsDocument = new TypedDocumentString(`
    query Commands($sessionId: ID!) {
  commands(sessionId: $sessionId) {
    ...CommandFields
  }
}
    fragment CommandFields on Command {
  commandId
  command
  status
  exitCode
  signal
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CommandsQuery, CommandsQueryVariables>;
export const CommandDocument = new TypedDocumentString(`
    query Command($sessionId: ID!, $commandId: ID!) {
  command(sessionId: $sessionId, commandId: $commandId) {
    ...CommandFields
  }
}
    fragment CommandFields on Command {
  commandId
  command
  status
  exitCode
  signal
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CommandQuery, CommandQueryVariables>;
export const SendCommandInputDocument = new TypedDocumentString(`
    mutation SendCommandInput($sessionId: ID!, $commandId: ID!, $text: String, $base64: String, $eof: Boolean) {
  sendCommandInput(
    sessionId: $sessionId
    commandId: $commandId
    text: $text
    base64: $base64
    eof: $eof
  )
}
    `) as unknown as TypedDocumentString<SendCommandInputMutation, SendCommandInputMutationVariables>;
export const SignalCommandDocument = new TypedDocumentString(`
    mutation SignalCommand($sessionId: ID!, $commandId: ID!, $signal: CommandSignal!) {
  signalCommand(sessionId: $sessionId, commandId: $commandId, signal: $signal)
}
    `) as unknown as TypedDocumentString<SignalCommandMutation, SignalCommandMutationVariables>;
export const CommandOutputDocument = new TypedDocumentString(`
    subscription CommandOutput($sessionId: ID!, $commandId: ID!, $from: Float) {
  commandOutput(sessionId: $sessionId, commandId: $commandId, from: $from) {
    stream
    text
    base64
    offset
    exit {
      status
      exitCode
      signal
    }
  }
}
    `) as unknown as TypedDocumentString<CommandOutputSubscription, CommandOutputSubscriptionVariables>;
export const OpenTerminalDocument = new TypedDocumentString(`
    mutation OpenTerminal($sessionId: ID!, $cols: Int, $rows: Int) {
  openTerminal(sessionId: $sessionId, cols: $cols, rows: $rows) {
    url
    expiresAt
  }
}
    `) as unknown as TypedDocumentString<OpenTerminalMutation, OpenTerminalMutationVariables>;
export const ReadFileDocument = new TypedDocumentString(`
    query ReadFile($sessionId: ID!, $path: String!, $encoding: FileEncoding) {
  readFile(sessionId: $sessionId, path: $path, encoding: $encoding)
}
    `) as unknown as TypedDocumentString<ReadFileQuery, ReadFileQueryVariables>;
export const WriteFileDocument = new TypedDocumentString(`
    mutation WriteFile($sessionId: ID!, $path: String!, $content: String!, $encoding: FileEncoding) {
  writeFile(
    sessionId: $sessionId
    path: $path
    content: $content
    encoding: $encoding
  )
}
    `) as unknown as TypedDocumentString<WriteFileMutation, WriteFileMutationVariables>;
export const ListFilesDocument = new TypedDocumentString(`
    query ListFiles($sessionId: ID!, $path: String) {
  listFiles(sessionId: $sessionId, path: $path) {
    ...FileEntryFields
  }
}
    fragment FileEntryFields on FileEntry {
  name
  path
  type
  size
  mtime
}`) as unknown as TypedDocumentString<ListFilesQuery, ListFilesQueryVariables>;
export const MakeDirectoryDocument = new TypedDocumentString(`
    mutation MakeDirectory($sessionId: ID!, $path: String!) {
  makeDirectory(sessionId: $sessionId, path: $path) {
    ...FileEntryFields
  }
}
    fragment FileEntryFields on FileEntry {
  name
  path
  type
  size
  mtime
}`) as unknown as TypedDocumentString<MakeDirectoryMutation, MakeDirectoryMutationVariables>;
export const MoveFileDocument = new TypedDocumentString(`
    mutation MoveFile($sessionId: ID!, $from: String!, $to: String!) {
  moveFile(sessionId: $sessionId, from: $from, to: $to) {
    ...FileEntryFields
  }
}
    fragment FileEntryFields on FileEntry {
  name
  path
  type
  size
  mtime
}`) as unknown as TypedDocumentString<MoveFileMutation, MoveFileMutationVariables>;
export const DeleteFileDocument = new TypedDocumentString(`
    mutation DeleteFile($sessionId: ID!, $path: String!) {
  deleteFile(sessionId: $sessionId, path: $path)
}
    `) as unknown as TypedDocumentString<DeleteFileMutation, DeleteFileMutationVariables>;
export const CheckpointsDocument = new TypedDocumentString(`
    query Checkpoints($sessionId: ID!, $limit: Int, $offset: Int) {
  checkpoints(sessionId: $sessionId, limit: $limit, offset: $offset) {
    ...CheckpointFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}`) as unknown as TypedDocumentString<CheckpointsQuery, CheckpointsQueryVariables>;
export const CommitCheckpointDocument = new TypedDocumentString(`
    mutation CommitCheckpoint($sessionId: ID!, $description: String, $messageNumber: Int) {
  commitCheckpoint(
    sessionId: $sessionId
    description: $description
    messageNumber: $messageNumber
  ) {
    ...CheckpointFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}`) as unknown as TypedDocumentString<CommitCheckpointMutation, CommitCheckpointMutationVariables>;
export const RestoreCheckpointDocument = new TypedDocumentString(`
    mutation RestoreCheckpoint($sessionId: ID!, $commitHash: String!) {
  restoreCheckpoint(sessionId: $sessionId, commitHash: $commitHash) {
    ...CheckpointFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}`) as unknown as TypedDocumentString<RestoreCheckpointMutation, RestoreCheckpointMutationVariables>;
export const GitStatusDocument = new TypedDocumentString(`
    query GitStatus($sessionId: ID!) {
  gitStatus(sessionId: $sessionId) {
    clean
    head
    files {
      path
      index
      workingDir
    }
  }
}
    `) as unknown as TypedDocumentString<GitStatusQuery, GitStatusQueryVariables>;
export const GitDiffDocument = new TypedDocumentString(`
    query GitDiff($sessionId: ID!, $from: String!, $to: String) {
  gitDiff(sessionId: $sessionId, from: $from, to: $to) {
    from
    to
    diff
    truncated
    binaryFiles
  }
}
    `) as unknown as TypedDocumentString<GitDiffQuery, GitDiffQueryVariables>;
export const RegisterPreviewDocument = new TypedDocumentString(`
    mutation RegisterPreview($sessionId: ID!, $port: Int!) {
  registerPreview(sessionId: $sessionId, port: $port) {
    ...PreviewFields
  }
}
    fragment PreviewFields on Preview {
  sessionId
  port
  url
  private
}`) as unknown as TypedDocumentString<RegisterPreviewMutation, RegisterPreviewMutationVariables>;
export const PreviewsDocument = new TypedDocumentString(`
    query Previews($sessionId: ID!) {
  previews(sessionId: $sessionId) {
    ...PreviewFields
  }
}
    fragment PreviewFields on Preview {
  sessionId
  port
  url
  private
}`) as unknown as TypedDocumentString<PreviewsQuery, PreviewsQueryVariables>;
export const UnregisterPreviewDocument = new TypedDocumentString(`
    mutation UnregisterPreview($sessionId: ID!, $port: Int!) {
  unregisterPreview(sessionId: $sessionId, port: $port)
}
    `) as unknown as TypedDocumentString<UnregisterPreviewMutation, UnregisterPreviewMutationVariables>;
export const SetPreviewPrivateDocument = new TypedDocumentString(`
    mutation SetPreviewPrivate($sessionId: ID!, $port: Int!, $private: Boolean!) {
  setPreviewPrivate(sessionId: $sessionId, port: $port, private: $private) {
    sessionId
    port
    private
    token
  }
}
    `) as unknown as TypedDocumentString<SetPreviewPrivateMutation, SetPreviewPrivateMutationVariables>;
export const InitRunDocument = new TypedDocumentString(`
    mutation InitRun($input: InitRunInput!) {
  initRun(input: $input) {
    session {
      ...SessionFields
    }
    run {
      ...RunFields
    }
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}
fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<InitRunMutation, InitRunMutationVariables>;
export const StartRunDocument = new TypedDocumentString(`
    mutation StartRun($sessionId: ID!, $pipeline: String!, $input: JSON) {
  startRun(sessionId: $sessionId, pipeline: $pipeline, input: $input) {
    ...RunFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<StartRunMutation, StartRunMutationVariables>;
export const SubmitRunInputDocument = new TypedDocumentString(`
    mutation SubmitRunInput($sessionId: ID!, $input: String!, $runId: ID) {
  submitRunInput(sessionId: $sessionId, input: $input, runId: $runId) {
    ...RunFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<SubmitRunInputMutation, SubmitRunInputMutationVariables>;
export const CancelRunDocument = new TypedDocumentString(`
    mutation CancelRun($runId: ID!) {
  cancelRun(runId: $runId) {
    ...RunFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CancelRunMutation, CancelRunMutationVariables>;
export const RevertRunDocument = new TypedDocumentString(`
    mutation RevertRun($runId: ID!) {
  revertRun(runId: $runId) {
    ...CheckpointFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}`) as unknown as TypedDocumentString<RevertRunMutation, RevertRunMutationVariables>;
export const RunDocument = new TypedDocumentString(`
    query Run($id: ID!) {
  run(id: $id) {
    ...RunFields
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<RunQuery, RunQueryVariables>;
export const RunsDocument = new TypedDocumentString(`
    query Runs($sessionId: ID!, $limit: Int, $offset: Int) {
  runs(sessionId: $sessionId, limit: $limit, offset: $offset) {
    total
    runs {
      ...RunFields
    }
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}
fragment RunFields on Run {
  id
  sessionId
  pipeline
  status
  input
  result
  error
  attempt
  lastSeq
  parentRunId
  baseCheckpoint {
    ...CheckpointFields
  }
  resultCheckpoint {
    ...CheckpointFields
  }
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<RunsQuery, RunsQueryVariables>;
export const PipelinesDocument = new TypedDocumentString(`
    query Pipelines {
  pipelines {
    name
    builtIn
    steps
    createdAt
    updatedAt
  }
}
    `) as unknown as TypedDocumentString<PipelinesQuery, PipelinesQueryVariables>;
export const RegisterPipelineDocument = new TypedDocumentString(`
    mutation RegisterPipeline($input: RegisterPipelineInput!) {
  registerPipeline(input: $input) {
    name
    builtIn
    steps
    createdAt
    updatedAt
  }
}
    `) as unknown as TypedDocumentString<RegisterPipelineMutation, RegisterPipelineMutationVariables>;
export const RunEventsDocument = new TypedDocumentString(`
    subscription RunEvents($runId: ID!, $afterSeq: Int) {
  runEvents(runId: $runId, afterSeq: $afterSeq) {
    ...RunEventFields
  }
}
    fragment RunEventFields on RunEvent {
  runId
  seq
  type
  message
  data
  timestamp
}`) as unknown as TypedDocumentString<RunEventsSubscription, RunEventsSubscriptionVariables>;
export const SessionDocument = new TypedDocumentString(`
    query Session($id: ID!) {
  session(id: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<SessionQuery, SessionQueryVariables>;
export const SessionsDocument = new TypedDocumentString(`
    query Sessions($status: SessionStatus, $limit: Int, $offset: Int) {
  sessions(status: $status, limit: $limit, offset: $offset) {
    total
    sessions {
      ...SessionFields
    }
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<SessionsQuery, SessionsQueryVariables>;
export const CreateSessionDocument = new TypedDocumentString(`
    mutation CreateSession($input: CreateSessionInput) {
  createSession(input: $input) {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<CreateSessionMutation, CreateSessionMutationVariables>;
export const StopSessionDocument = new TypedDocumentString(`
    mutation StopSession($id: ID!) {
  stopSession(id: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<StopSessionMutation, StopSessionMutationVariables>;
export const StartSessionDocument = new TypedDocumentString(`
    mutation StartSession($id: ID!) {
  startSession(id: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<StartSessionMutation, StartSessionMutationVariables>;
export const PauseSessionDocument = new TypedDocumentString(`
    mutation PauseSession($id: ID!) {
  pauseSession(id: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<PauseSessionMutation, PauseSessionMutationVariables>;
export const ResumeSessionDocument = new TypedDocumentString(`
    mutation ResumeSession($id: ID!) {
  resumeSession(id: $id) {
    ...SessionFields
  }
}
    fragment SessionFields on Session {
  id
  status
  template
  image
  errorReason
  createdAt
  updatedAt
  startedAt
  stoppedAt
  repoUrl
  repoName
}`) as unknown as TypedDocumentString<ResumeSessionMutation, ResumeSessionMutationVariables>;
export const SessionUsageDocument = new TypedDocumentString(`
    query SessionUsage($id: ID!) {
  session(id: $id) {
    usage {
      ...SessionUsageFields
    }
  }
}
    fragment SessionUsageFields on SessionUsage {
  cpuPercent
  memoryBytes
  networkRxBytes
  networkTxBytes
  diskBytes
  sampledAt
}`) as unknown as TypedDocumentString<SessionUsageQuery, SessionUsageQueryVariables>;
export const DeleteSessionDocument = new TypedDocumentString(`
    mutation DeleteSession($id: ID!) {
  deleteSession(id: $id)
}
    `) as unknown as TypedDocumentString<DeleteSessionMutation, DeleteSessionMutationVariables>;
export const SessionEventsDocument = new TypedDocumentString(`
    subscription SessionEvents($sessionId: ID!) {
  sessionEvents(sessionId: $sessionId) {
    type
    sessionId
    at
    status
    errorReason
    checkpoint {
      ...CheckpointFields
    }
  }
}
    fragment CheckpointFields on GitCheckpoint {
  id
  sessionId
  commitHash
  filesChanged
  messageNumber
  description
  runId
  createdAt
}`) as unknown as TypedDocumentString<SessionEventsSubscription, SessionEventsSubscriptionVariables>;
export const ExecDocument = new TypedDocumentString(`
    mutation Exec($sessionId: ID!, $input: ExecInput!) {
  exec(sessionId: $sessionId, input: $input) {
    ...ExecResultFields
  }
}
    fragment ExecResultFields on ExecResult {
  exitCode
  stdout
  stderr
  timedOut
  durationMs
  truncated
}`) as unknown as TypedDocumentString<ExecMutation, ExecMutationVariables>;
export const TaskDocument = new TypedDocumentString(`
    query Task($taskId: String!) {
  task(taskId: $taskId) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  type
  status
  rawStatus
  priority
  payload
  result
  error
  attempts
  maxAttempts
  jobId
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<TaskQuery, TaskQueryVariables>;
export const TasksDocument = new TypedDocumentString(`
    query Tasks($status: TaskStatus, $type: String, $limit: Int, $offset: Int) {
  tasks(status: $status, type: $type, limit: $limit, offset: $offset) {
    total
    tasks {
      ...TaskFields
    }
  }
}
    fragment TaskFields on Task {
  id
  type
  status
  rawStatus
  priority
  payload
  result
  error
  attempts
  maxAttempts
  jobId
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<TasksQuery, TasksQueryVariables>;
export const CreateTaskDocument = new TypedDocumentString(`
    mutation CreateTask($input: CreateTaskInput!) {
  createTask(input: $input) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  type
  status
  rawStatus
  priority
  payload
  result
  error
  attempts
  maxAttempts
  jobId
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CreateTaskMutation, CreateTaskMutationVariables>;
export const CancelTaskDocument = new TypedDocumentString(`
    mutation CancelTask($taskId: String!) {
  cancelTask(taskId: $taskId) {
    ...TaskFields
  }
}
    fragment TaskFields on Task {
  id
  type
  status
  rawStatus
  priority
  payload
  result
  error
  attempts
  maxAttempts
  jobId
  createdAt
  updatedAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CancelTaskMutation, CancelTaskMutationVariables>;
export const TaskEventsDocument = new TypedDocumentString(`
    subscription TaskEvents($taskId: String!) {
  taskEvents(taskId: $taskId) {
    taskId
    type
    message
    progress
    data
    timestamp
  }
}
    `) as unknown as TypedDocumentString<TaskEventsSubscription, TaskEventsSubscriptionVariables>;
export const JobDocument = new TypedDocumentString(`
    query Job($jobId: String!) {
  job(jobId: $jobId) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  name
  type
  cron
  timezone
  payload
  status
  rawStatus
  consecutiveFailures
  lastRunAt
  nextRunAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<JobQuery, JobQueryVariables>;
export const JobsDocument = new TypedDocumentString(`
    query Jobs {
  jobs {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  name
  type
  cron
  timezone
  payload
  status
  rawStatus
  consecutiveFailures
  lastRunAt
  nextRunAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<JobsQuery, JobsQueryVariables>;
export const CreateJobDocument = new TypedDocumentString(`
    mutation CreateJob($input: CreateJobInput!) {
  createJob(input: $input) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  name
  type
  cron
  timezone
  payload
  status
  rawStatus
  consecutiveFailures
  lastRunAt
  nextRunAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<CreateJobMutation, CreateJobMutationVariables>;
export const PauseJobDocument = new TypedDocumentString(`
    mutation PauseJob($jobId: String!) {
  pauseJob(jobId: $jobId) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  name
  type
  cron
  timezone
  payload
  status
  rawStatus
  consecutiveFailures
  lastRunAt
  nextRunAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<PauseJobMutation, PauseJobMutationVariables>;
export const ResumeJobDocument = new TypedDocumentString(`
    mutation ResumeJob($jobId: String!) {
  resumeJob(jobId: $jobId) {
    ...JobFields
  }
}
    fragment JobFields on Job {
  id
  name
  type
  cron
  timezone
  payload
  status
  rawStatus
  consecutiveFailures
  lastRunAt
  nextRunAt
  createdAt
  updatedAt
}`) as unknown as TypedDocumentString<ResumeJobMutation, ResumeJobMutationVariables>;
export const DeleteJobDocument = new TypedDocumentString(`
    mutation DeleteJob($jobId: String!) {
  deleteJob(jobId: $jobId)
}
    `) as unknown as TypedDocumentString<DeleteJobMutation, DeleteJobMutationVariables>;
export const TemplatesDocument = new TypedDocumentString(`
    query Templates {
  templates {
    ...TemplateFields
  }
}
    fragment TemplateFields on Template {
  name
  status
  builtIn
  baseTemplate
  sizeBytes
  buildLog
  createdAt
}`) as unknown as TypedDocumentString<TemplatesQuery, TemplatesQueryVariables>;
export const TemplateDocument = new TypedDocumentString(`
    query Template($name: String!) {
  template(name: $name) {
    ...TemplateFields
  }
}
    fragment TemplateFields on Template {
  name
  status
  builtIn
  baseTemplate
  sizeBytes
  buildLog
  createdAt
}`) as unknown as TypedDocumentString<TemplateQuery, TemplateQueryVariables>;
export const CreateTemplateDocument = new TypedDocumentString(`
    mutation CreateTemplate($name: String!, $dockerfile: String!) {
  createTemplate(name: $name, dockerfile: $dockerfile) {
    ...TemplateFields
  }
}
    fragment TemplateFields on Template {
  name
  status
  builtIn
  baseTemplate
  sizeBytes
  buildLog
  createdAt
}`) as unknown as TypedDocumentString<CreateTemplateMutation, CreateTemplateMutationVariables>;
export const DeleteTemplateDocument = new TypedDocumentString(`
    mutation DeleteTemplate($name: String!) {
  deleteTemplate(name: $name)
}
    `) as unknown as TypedDocumentString<DeleteTemplateMutation, DeleteTemplateMutationVariables>;