/** Status of a session as the gateway records it in PostgreSQL. */
export enum GatewaySessionStatus {
  Pending = 'PENDING',
  Active = 'ACTIVE',
  Stopped = 'STOPPED',
  Error = 'ERROR',
}

/** Status of a session as the container-manager records it in SQLite. */
export enum SandboxStatus {
  Creating = 'creating',
  Running = 'running',
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
  /** Last exec or file operation; the worker's `sessions.stop-idle` handler reads it. */
  lastActivityAt: string | null;
  createdAt: string;
  updatedAt: string;
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
