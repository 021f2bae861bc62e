/** Status of a session as the gateway records it in PostgreSQL. */
export enum GatewaySessionStatus {
  Pending = 'PENDING',
  Active = 'ACTIVE',
  Stopped = 'STOPPED',
  Error = 'ERROR',
  /** The sandbox is frozen (idle, or pauseSession); any use resumes it. */
  Paused = 'PAUSED',
}

/** Status of a session as the container-manager records it in SQLite. */
export enum SandboxStatus {
  Creating = 'creating',
  Running = 'running',
  /** Every process frozen (cgroup freezer); an exec, file call or preview request resumes it. */
  Paused = 'paused',
  Stopped = 'stopped',
  Error = 'error',
  Removed = 'removed',
}

export interface CreateSandboxRequest {
  sessionId: string;
  /** A READY template (docs/templates.md); the manager's SANDBOX_DEFAULT_TEMPLATE when omitted. */
  template?: string;
  /** Kept from before templates: the image of a READY template, as another way to name it (not both). */
  image?: string;
  env?: Record<string, string>;
  cpu?: number;
  memoryMb?: number;
  /** Size of the session's workspace filesystem, at most WORKSPACE_QUOTA_MB (its default). */
  diskMb?: number;
  /** Lifecycle deadlines of this session (docs/lifecycle.md); 0 turns one off, omitted means the manager's default. */
  idleTimeoutMs?: number;
  pausedStopMs?: number;
  maxLifetimeMs?: number;
}

/** Per-session lifecycle settings as they apply (defaults filled in); 0 = off. */
export interface SessionLifecycleSettings {
  idleTimeoutMs: number;
  pausedStopMs: number;
  maxLifetimeMs: number;
}

export interface SandboxSession {
  sessionId: string;
  status: SandboxStatus;
  /** Null for a session created before templates existed. */
  template: string | null;
  image: string;
  containerId: string | null;
  containerName: string;
  cpu: number;
  memoryMb: number;
  errorReason: string | null;
  /** Last activity (exec, file call, command, terminal, preview request); the worker's `sessions.stop-idle` handler reads it. */
  lastActivityAt: string | null;
  /** Workspace quota of this session in MB; null without workspace quotas. */
  diskMb: number | null;
  /** The deadlines that apply to this session. */
  lifecycle: SessionLifecycleSettings;
  /** When the sandbox last started (a resume keeps it): the max lifetime counts from here. */
  startedAt: string | null;
  /** When the session was paused; null unless paused. */
  pausedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a session's sandbox consumes right now (cpu, memory, network from Docker's stats; disk from its filesystem). */
export interface SessionUsage {
  sessionId: string;
  /** Percent of one CPU (200 = two CPUs busy); 0 when not running. */
  cpuPercent: number;
  memoryBytes: number;
  /** Used blocks of the session's filesystem (workspace and git history); null without workspace quotas. */
  diskBytes: number | null;
  /** Since the container started. */
  networkRxBytes: number;
  networkTxBytes: number;
  /** When these numbers were read. */
  sampledAt: string;
}

export interface SandboxSessionList {
  sessions: SandboxSession[];
}

export interface ExecRequest {
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  truncated: boolean;
}

/** Server-sent events of the streaming exec. */
export type ExecStreamEvent =
  | { type: 'stdout'; data: string }
  | { type: 'stderr'; data: string }
  | { type: 'exit'; result: ExecResult };

export type FileType = 'file' | 'dir' | 'symlink';

export interface FileEntry {
  name: string;
  path: string;
  type: FileType;
  size: number;
  mtime: string;
}

export interface FileList {
  path: string;
  entries: FileEntry[];
}

export interface FileWriteResult {
  path: string;
  size: number;
}

export interface MoveRequest {
  from: string;
  to: string;
}

export interface MkdirRequest {
  path: string;
}

/** Gateway body of POST /api/internal/sessions/:id/error. */
export interface SessionErrorRequest {
  reason?: string;
}

export interface SessionTransitionResponse {
  sessionId: string;
  status: GatewaySessionStatus;
  changed: boolean;
}
