export enum TaskStatus {
  Pending = 'pending',
  Processing = 'processing',
  Retrying = 'retrying',
  Completed = 'completed',
  Failed = 'failed',
  Cancelled = 'cancelled',
}

/** GraphQL task status (docs/api.md, Task and job mappings). */
export enum PublicTaskStatus {
  Pending = 'PENDING',
  InProgress = 'IN_PROGRESS',
  Completed = 'COMPLETED',
  Failed = 'FAILED',
}

export enum TaskPriority {
  Low = 'LOW',
  Normal = 'NORMAL',
  High = 'HIGH',
}

export type TaskPriorityValue = 1 | 5 | 10;

export const TASK_PRIORITY_VALUES: readonly TaskPriorityValue[] = [1, 5, 10];

export function priorityValue(priority: TaskPriority): TaskPriorityValue {
  switch (priority) {
    case TaskPriority.Low:
      return 1;
    case TaskPriority.Normal:
      return 5;
    case TaskPriority.High:
      return 10;
  }
}

export function priorityOf(value: TaskPriorityValue): TaskPriority {
  switch (value) {
    case 1:
      return TaskPriority.Low;
    case 5:
      return TaskPriority.Normal;
    case 10:
      return TaskPriority.High;
  }
}

export function publicTaskStatus(status: TaskStatus): PublicTaskStatus {
  switch (status) {
    case TaskStatus.Pending:
      return PublicTaskStatus.Pending;
    case TaskStatus.Processing:
    case TaskStatus.Retrying:
      return PublicTaskStatus.InProgress;
    case TaskStatus.Completed:
      return PublicTaskStatus.Completed;
    case TaskStatus.Failed:
    case TaskStatus.Cancelled:
      return PublicTaskStatus.Failed;
  }
}

/** The worker statuses a public status stands for (a `tasks(status:)` filter). */
export function rawTaskStatuses(status: PublicTaskStatus): TaskStatus[] {
  switch (status) {
    case PublicTaskStatus.Pending:
      return [TaskStatus.Pending];
    case PublicTaskStatus.InProgress:
      return [TaskStatus.Processing, TaskStatus.Retrying];
    case PublicTaskStatus.Completed:
      return [TaskStatus.Completed];
    case PublicTaskStatus.Failed:
      return [TaskStatus.Failed, TaskStatus.Cancelled];
  }
}

export enum TaskType {
  SandboxExec = 'sandbox.exec',
  SandboxCheckpoint = 'sandbox.checkpoint',
  SessionsStopIdle = 'sessions.stop-idle',
  PreviewsCheck = 'previews.check',
  /** Does nothing (optionally waits `durationMs`): engine checks and benchmarks. */
  SystemNoop = 'system.noop',
  /** Executes (or resumes) a run; created by the gateway only (docs/runs.md). */
  RunExecute = 'run.execute',
}

export interface CreateTaskRequest {
  type: string;
  payload: Record<string, unknown>;
  priority: TaskPriorityValue;
  maxAttempts?: number;
  ownerId?: string;
}

export interface Task {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  priority: TaskPriorityValue;
  status: TaskStatus;
  attempts: number;
  maxAttempts: number;
  result: unknown;
  error: string | null;
  ownerId: string | null;
  jobId: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface TaskListQuery {
  status?: TaskStatus;
  type?: string;
  limit?: number;
  offset?: number;
  ownerId?: string;
}

export interface TaskPage {
  tasks: Task[];
  total: number;
}

export enum TaskEventType {
  Log = 'LOG',
  Progress = 'PROGRESS',
  Complete = 'COMPLETE',
  Error = 'ERROR',
}

export interface TaskEvent {
  taskId: string;
  type: TaskEventType;
  message: string;
  progress?: number;
  data?: unknown;
  timestamp: string;
}

export enum JobStatus {
  Active = 'active',
  Paused = 'paused',
  Failed = 'failed',
}

export enum PublicJobStatus {
  Active = 'ACTIVE',
  Paused = 'PAUSED',
  Failed = 'FAILED',
}

export function publicJobStatus(status: JobStatus): PublicJobStatus {
  switch (status) {
    case JobStatus.Active:
      return PublicJobStatus.Active;
    case JobStatus.Paused:
      return PublicJobStatus.Paused;
    case JobStatus.Failed:
      return PublicJobStatus.Failed;
  }
}

export interface CreateJobRequest {
  name: string;
  type: string;
  payload: Record<string, unknown>;
  cron: string;
  timezone?: string;
  ownerId?: string;
}

export interface Job {
  id: string;
  name: string;
  type: string;
  payload: Record<string, unknown>;
  cron: string;
  timezone: string;
  status: JobStatus;
  consecutiveFailures: number;
  ownerId: string | null;
  lastRunAt: string | null;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface JobList {
  jobs: Job[];
}

export const WorkerErrors = {
  unavailable: 'Worker Service is unavailable',
  taskNotFound: 'Task not found',
  jobNotFound: 'Job not found',
} as const;
