/**
 * Runs (docs/runs.md): one execution of a pipeline in a session's sandbox. The gateway owns runs and
 * their events; the worker executes them (task type `run.execute`) and reports through the gateway's
 * internal run routes.
 */
export enum RunStatus {
  Queued = 'QUEUED',
  Running = 'RUNNING',
  AwaitingInput = 'AWAITING_INPUT',
  Succeeded = 'SUCCEEDED',
  Failed = 'FAILED',
  Cancelled = 'CANCELLED',
}

/** At most one run per session is in one of these (a partial unique index enforces it). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = [RunStatus.Queued, RunStatus.Running, RunStatus.AwaitingInput];
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Cancelled];

export const isTerminalRunStatus = (status: RunStatus): boolean => TERMINAL_RUN_STATUSES.includes(status);

export enum RunEventType {
  Log = 'LOG',
  Progress = 'PROGRESS',
  Step = 'STEP',
  InputRequired = 'INPUT_REQUIRED',
  Complete = 'COMPLETE',
  Error = 'ERROR',
}

/** Only the gateway writes these, with the terminal status, in one transaction. */
export const TERMINAL_RUN_EVENT_TYPES: readonly RunEventType[] = [RunEventType.Complete, RunEventType.Error];

export interface RunEvent {
  /** 1, 2, 3... per run, without gaps: the resume cursor (`afterSeq`, SSE `Last-Event-ID`). */
  seq: number;
  runId: string;
  type: RunEventType;
  timestamp: string;
  message: string;
  data: unknown;
}

/** An event as the worker reports it (the gateway assigns seq and timestamp). */
export interface NewRunEvent {
  type: RunEventType.Log | RunEventType.Progress | RunEventType.Step;
  message: string;
  data?: unknown;
}

export const BUILT_IN_PIPELINES = ['bootstrap', 'plan', 'test'] as const;
export type BuiltInPipeline = (typeof BUILT_IN_PIPELINES)[number];
export const DEFAULT_INIT_PIPELINE: BuiltInPipeline = 'bootstrap';
/** The pipeline of a conversation's continuation (`submitRunInput` on a finished run). */
export const CONTINUATION_PIPELINE: BuiltInPipeline = 'plan';

/** Lower-case letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 64 characters. */
export const PIPELINE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_PIPELINE_STEPS = 50;

/** Step kinds a user pipeline may hold. */
export const USER_STEP_KINDS = ['exec', 'checkpoint', 'agent', 'input', 'task'] as const;
export type UserStepKind = (typeof USER_STEP_KINDS)[number];

export interface ExecStep {
  kind: 'exec';
  name?: string;
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  continueOnError?: boolean;
}

export interface CheckpointStep {
  kind: 'checkpoint';
  name?: string;
  /** `{repoName}` is replaced by the session's repository name. */
  description?: string;
}

export interface McpServerSpec {
  name: string;
  url: string;
}

export interface AgentStep {
  kind: 'agent';
  name?: string;
  /** Absent: the run's input text (the `plan` pipeline). */
  instructions?: string;
  maxTurns?: number;
  tools?: string[];
  mcpServers?: McpServerSpec[];
}

export interface InputStep {
  kind: 'input';
  name?: string;
  prompt: string;
}

export interface TaskStep {
  kind: 'task';
  name?: string;
  type: string;
  payload?: Record<string, unknown>;
  timeoutMs?: number;
  continueOnError?: boolean;
}

/** Built-in steps: only the built-in pipelines use them. */
export interface CloneStep {
  kind: 'clone';
  name?: string;
}
export interface InstallStep {
  kind: 'install';
  name?: string;
}
export interface TestStep {
  kind: 'test';
  name?: string;
}

export type UserPipelineStep = ExecStep | CheckpointStep | AgentStep | InputStep | TaskStep;
export type PipelineStep = UserPipelineStep | CloneStep | InstallStep | TestStep;

export const BUILT_IN_PIPELINE_STEPS: Record<BuiltInPipeline, PipelineStep[]> = {
  bootstrap: [
    { kind: 'clone', name: 'clone' },
    { kind: 'install', name: 'install' },
    { kind: 'checkpoint', name: 'checkpoint', description: 'Imported {repoName}' },
  ],
  plan: [{ kind: 'agent', name: 'plan' }],
  test: [{ kind: 'test', name: 'test' }],
};

/** Task types a `task` step may not start: the run engine itself and platform-wide maintenance. */
export const TASK_STEP_FORBIDDEN_TYPES: readonly string[] = ['run.execute', 'sessions.stop-idle'];

/**
 * What the worker keeps between attempts and across AWAITING_INPUT (gateway `runs.state`): the next
 * step to run, what earlier steps produced, and the answer to the question the run waits on.
 */
export interface RunState {
  stepIndex: number;
  outputs: Record<string, unknown>;
  /** The answer given with submitRunInput, consumed by the step that asked. */
  answer?: string | null;
  /** The agent step's conversation, kept so a resume continues where it stopped. */
  transcript?: unknown[] | null;
  /**
   * The conversation of the last agent step that finished (its transcript, kept when the step's own
   * is cleared): what a continuation of the session's conversation carries on (docs/runs.md).
   */
  conversation?: unknown[] | null;
}

/** What `POST /api/internal/runs/:id/claim` answers the worker. */
export interface RunClaim {
  runId: string;
  sessionId: string;
  ownerId: string;
  pipeline: string;
  input: unknown;
  steps: PipelineStep[];
  state: RunState;
  /** Fencing counter: every later call of this attempt carries it; an older one gets 409. */
  attempt: number;
  repoUrl: string | null;
  repoName: string | null;
  baseCheckpoint: string | null;
  /** The private-repository token of this run, until the clone drops it. Never stored in plain text. */
  token: string | null;
}

export interface RunClaimRequest {
  taskId?: string;
}

export interface RunEventBatch {
  attempt: number;
  /** 1, 2, 3... per attempt: a batch sent twice is stored once. */
  n: number;
  events: NewRunEvent[];
}

export interface RunEventBatchResult {
  lastSeq: number;
  duplicate: boolean;
}

export interface RunStateUpdate {
  attempt: number;
  state?: RunState;
  baseCheckpoint?: string;
  /** Forget the run's token (after the clone). */
  dropToken?: boolean;
}

export type RunFinishStatus = RunStatus.Succeeded | RunStatus.Failed | RunStatus.AwaitingInput;

export interface RunFinishRequest {
  attempt: number;
  status: RunFinishStatus;
  result?: unknown;
  error?: string;
  /** AWAITING_INPUT: what the run asks (the INPUT_REQUIRED event's message). */
  question?: string;
  state?: RunState;
  resultCheckpoint?: string;
}

export interface RunFinishResult {
  runId: string;
  status: RunStatus;
  lastSeq: number;
}

export const RunMessages = {
  notFound: (id: string) => `Run ${id} not found`,
  activeRunExists: (sessionId: string, runId: string) => `Session ${sessionId} already has an active run ${runId}`,
  notActiveRun: (runId: string, sessionId: string) => `Run ${runId} is not the active run of session ${sessionId}`,
  unsupportedRepoUrl: (repoUrl: string) => `Unsupported repository URL: ${repoUrl}`,
  credentialsInRepoUrl: 'Repository URL must not contain credentials; pass the token separately',
  unknownPipeline: (name: string, known: string[]) => `Unknown pipeline ${name}; known: ${known.join(', ')}`,
  emptyInput: 'Input must not be empty',
  staleAttempt: (runId: string, attempt: number, current: number) => `Run ${runId} attempt ${attempt} is stale (current attempt ${current})`,
  notRunning: (runId: string, status: RunStatus) => `Run ${runId} is ${status}`,
  cancelled: 'Run cancelled',
  noModel: 'No language model configured (set LLM_BASE_URL)',
} as const;

const CONTROL = /[\u0000-\u001f\u007f]/;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$/;
const SCP_LIKE = /^([A-Za-z0-9._-]{1,64})@([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):([^\s:][^\s]*)$/;
const MAX_URL_LENGTH = 2_048;
/** git's `<transport>::<address>` syntax (`ext::`, `fd::`, ...): a remote helper, never a plain URL. */
const TRANSPORT = /^[A-Za-z0-9+.-]*::/;
/** `user:password@` in the authority of a URL or of the scp-like form. */
const PASSWORD = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/@\s]*:[^/@]*@/;
/** Any user in an URL other than ssh's is a credential (`https://<token>@host/...`). */
const HTTP_USER = /^(?!ssh:)[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@\s]+@/i;

export type RepositoryUrlCheck = { ok: true; name: string } | { ok: false; message: string };

/**
 * Accepts `https://`, `http://`, `ssh://` URLs and the scp-like `user@host:path` form, nothing else:
 * no `file:`, no `ext::` or other transports, no local path, nothing that starts with `-` (git would
 * read an option), no whitespace or control characters, no credentials in the URL.
 */
export function checkRepositoryUrl(repoUrl: string): RepositoryUrlCheck {
  if (typeof repoUrl !== 'string' || repoUrl.length === 0 || repoUrl.length > MAX_URL_LENGTH) return { ok: false, message: RunMessages.unsupportedRepoUrl(String(repoUrl)) };
  // Before any refusal that repeats the URL: a password (or a token as an http(s) user) is never echoed.
  if (PASSWORD.test(repoUrl) || HTTP_USER.test(repoUrl)) return { ok: false, message: RunMessages.credentialsInRepoUrl };
  const unsupported = { ok: false as const, message: RunMessages.unsupportedRepoUrl(repoUrl) };
  if (repoUrl.startsWith('-') || CONTROL.test(repoUrl) || /\s/.test(repoUrl) || TRANSPORT.test(repoUrl)) return unsupported;
  const scp = SCP_LIKE.exec(repoUrl);
  if (scp) {
    const path = scp[3];
    if (path.startsWith('-')) return unsupported;
    return { ok: true, name: repositoryName(path) };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(repoUrl)?.[1]?.toLowerCase();
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh') return unsupported;
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return unsupported;
  }
  if (!HOST.test(url.hostname) || url.hostname.startsWith('-')) return unsupported;
  if (url.password || (scheme !== 'ssh' && url.username)) return { ok: false, message: RunMessages.credentialsInRepoUrl };
  if (url.username.startsWith('-')) return unsupported;
  const path = decodeURIComponent(url.pathname).replace(/\/+$/, '');
  if (path === '' || path === '/' || url.search || url.hash) return unsupported;
  return { ok: true, name: repositoryName(path) };
}

/** `https://host/org/name.git` → `name`; anything unusable → `repository`. */
export function repositoryName(path: string): string {
  const last = path.replace(/\/+$/, '').split(/[/:]/).pop() ?? '';
  const name = last.replace(/\.git$/i, '');
  return /^[A-Za-z0-9._-]{1,100}$/.test(name) && !/^\.+$/.test(name) ? name : 'repository';
}

/** A branch or tag name git accepts (git check-ref-format), which can't be read as an option. */
export function isValidRef(ref: string): boolean {
  return (
    /^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,199}$/.test(ref) &&
    !ref.includes('..') &&
    !ref.includes('@{') &&
    !ref.endsWith('.') &&
    ref.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'))
  );
}

type Check = (value: unknown) => boolean;
const isString = (max: number): Check => (v) => typeof v === 'string' && v.length <= max;
const isNonEmptyString = (max: number): Check => (v) => typeof v === 'string' && v.trim().length > 0 && v.length <= max;
const isInt = (min: number, max: number): Check => (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isBool: Check = (v) => typeof v === 'boolean';
const isStringMap: Check = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length <= 100 && Object.entries(v).every(([k, s]) => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k) && typeof s === 'string' && s.length <= 16_384);
const isCommand: Check = (v) =>
  isNonEmptyString(16_384)(v) || (Array.isArray(v) && v.length > 0 && v.length <= 256 && v.every((part) => typeof part === 'string' && part.length <= 16_384));
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isMcpServers: Check = (v) =>
  Array.isArray(v) &&
  v.length <= 10 &&
  v.every((s) => isObject(s) && isNonEmptyString(64)((s as McpServerSpec).name) && /^https?:\/\/\S+$/.test(String((s as McpServerSpec).url)) && Object.keys(s as object).every((k) => k === 'name' || k === 'url'));

const STEP_FIELDS: Record<UserStepKind, Record<string, { check: Check; required?: boolean; describe: string }>> = {
  exec: {
    command: { check: isCommand, required: true, describe: 'a non-empty string or an array of strings' },
    cwd: { check: isString(4_096), describe: 'a string' },
    env: { check: isStringMap, describe: 'an object of string values' },
    timeoutMs: { check: isInt(1, 600_000), describe: 'an integer from 1 to 600000' },
    continueOnError: { check: isBool, describe: 'a boolean' },
  },
  checkpoint: { description: { check: isString(2_000), describe: 'a string of at most 2000 characters' } },
  agent: {
    instructions: { check: isNonEmptyString(65_536), describe: 'a non-empty string' },
    maxTurns: { check: isInt(1, 200), describe: 'an integer from 1 to 200' },
    tools: { check: (v) => Array.isArray(v) && v.length <= 100 && v.every(isNonEmptyString(128)), describe: 'an array of tool names' },
    mcpServers: { check: isMcpServers, describe: 'an array of { name, url } (http or https)' },
  },
  input: { prompt: { check: isNonEmptyString(4_096), required: true, describe: 'a non-empty string' } },
  task: {
    type: { check: isNonEmptyString(100), required: true, describe: 'a task type' },
    payload: { check: isObject, describe: 'an object' },
    timeoutMs: { check: isInt(1, 3_600_000), describe: 'an integer from 1 to 3600000' },
    continueOnError: { check: isBool, describe: 'a boolean' },
  },
};

/** Checks a user pipeline's steps; returns the problems (empty when valid). */
export function pipelineStepProblems(steps: unknown): string[] {
  if (!Array.isArray(steps) || steps.length === 0) return ['steps must be a non-empty array'];
  if (steps.length > MAX_PIPELINE_STEPS) return [`steps must hold at most ${MAX_PIPELINE_STEPS} steps`];
  const problems: string[] = [];
  steps.forEach((step: unknown, index) => {
    const at = `steps[${index}]`;
    if (!isObject(step)) return void problems.push(`${at} must be an object`);
    const { kind, name, ...rest } = step as Record<string, unknown>;
    if (typeof kind !== 'string' || !(USER_STEP_KINDS as readonly string[]).includes(kind)) {
      return void problems.push(`${at}.kind must be one of ${USER_STEP_KINDS.join(', ')}`);
    }
    if (name !== undefined && !isNonEmptyString(100)(name)) problems.push(`${at}.name must be a non-empty string of at most 100 characters`);
    const fields = STEP_FIELDS[kind as UserStepKind];
    for (const [field, spec] of Object.entries(fields)) {
      if (rest[field] === undefined) {
        if (spec.required) problems.push(`${at}.${field} is required (${spec.describe})`);
      } else if (!spec.check(rest[field])) problems.push(`${at}.${field} must be ${spec.describe}`);
    }
    for (const field of Object.keys(rest)) if (!(field in fields)) problems.push(`${at}.${field} is not a field of a ${kind} step`);
    if (kind === 'task') {
      if (TASK_STEP_FORBIDDEN_TYPES.includes(String(rest.type))) problems.push(`${at}.type ${String(rest.type)} cannot run as a pipeline step`);
      if (isObject(rest.payload) && 'sessionId' in (rest.payload as object)) problems.push(`${at}.payload.sessionId is set by the run (its session)`);
    }
  });
  return problems;
}
