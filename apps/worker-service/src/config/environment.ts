import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { BaseEnvironment } from '@sandbox/shared';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => [
  Type(() => Number),
  IsInt({ message: `${name} must be an integer` }),
  Min(min, { message: `${name} must be at least ${min}` }),
  Max(max, { message: `${name} must be at most ${max}` }),
];

function IntVar(name: string, min: number, max?: number): PropertyDecorator {
  return (target, key) => int(name, min, max).forEach((decorator) => decorator(target, key));
}

export class WorkerEnvironment extends BaseEnvironment {
  override PORT = 4001;

  @IsString({ message: 'REDIS_URL is required' })
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL!: string;

  /** Prefix of every Redis key (BullMQ's and the task records'); tests use a unique one each. */
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'WORKER_QUEUE_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ . -' })
  WORKER_QUEUE_PREFIX = 'sandbox';

  /** Tasks run at once by this process; 0 makes an API-only replica that processes nothing. */
  @IntVar('WORKER_CONCURRENCY', 0, 256)
  WORKER_CONCURRENCY = 4;

  /**
   * A running task's lock, renewed every half of it while its process lives. With the stalled check
   * below, a task whose worker died runs again within WORKER_LOCK_DURATION_MS +
   * WORKER_STALLED_INTERVAL_MS (15 s by default), given a replica with a free slot.
   */
  @IntVar('WORKER_LOCK_DURATION_MS', 500, 600_000)
  WORKER_LOCK_DURATION_MS = 10_000;

  /** How often (cluster-wide, whichever replica comes first) running tasks with an expired lock are put back. */
  @IntVar('WORKER_STALLED_INTERVAL_MS', 200, 600_000)
  WORKER_STALLED_INTERVAL_MS = 5_000;

  /** BullMQ's own bound on recoveries from a dead worker, beyond a task's maxAttempts (which counts them too). */
  @IntVar('WORKER_MAX_STALLED_COUNT', 0, 1000)
  WORKER_MAX_STALLED_COUNT = 3;

  /** On shutdown, running tasks get this long to finish; the rest are recovered by another replica. */
  @IntVar('WORKER_SHUTDOWN_GRACE_MS', 0, 600_000)
  WORKER_SHUTDOWN_GRACE_MS = 10_000;

  @IntVar('TASK_DEFAULT_MAX_ATTEMPTS', 1, 100)
  TASK_DEFAULT_MAX_ATTEMPTS = 3;

  /** First retry delay; doubled on every further attempt. */
  @IntVar('TASK_BACKOFF_MS', 1)
  TASK_BACKOFF_MS = 1_000;

  /** Size limit of a task's or job's `payload`, as JSON. */
  @IntVar('TASK_PAYLOAD_MAX_BYTES', 1, 1_048_576)
  TASK_PAYLOAD_MAX_BYTES = 65_536;

  /** Finished tasks kept (newest first); older ones are deleted with their events. */
  @IntVar('TASK_RETENTION_COUNT', 1)
  TASK_RETENTION_COUNT = 10_000;

  /** Finished tasks older than this are deleted too. */
  @IntVar('TASK_RETENTION_SECONDS', 1)
  TASK_RETENTION_SECONDS = 7 * 24 * 3600;

  /** A job turns `failed` (and stops ticking) after this many failed runs in a row. */
  @IntVar('JOB_MAX_CONSECUTIVE_FAILURES', 1, 1000)
  JOB_MAX_CONSECUTIVE_FAILURES = 5;

  /** Timeout of one `previews.check` probe. */
  @IntVar('PREVIEW_PROBE_TIMEOUT_MS', 100, 60_000)
  PREVIEW_PROBE_TIMEOUT_MS = 3_000;

  /**
   * OpenAI-compatible endpoint of the agent step (docs/agent.md), e.g. `http://localhost:11434/v1` for
   * Ollama. Unset: agent steps fail with "No language model configured (set LLM_BASE_URL)".
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'LLM_BASE_URL must be an http(s) URL' })
  LLM_BASE_URL?: string;

  /** Bearer key of the model endpoint; optional for local servers. A secret: never logged. */
  @IsOptional()
  @IsString({ message: 'LLM_API_KEY must be a string' })
  @MaxLength(4_096, { message: 'LLM_API_KEY must be at most 4096 characters' })
  LLM_API_KEY?: string;

  @ValidateIf((env: WorkerEnvironment) => env.LLM_BASE_URL !== undefined || env.LLM_MODEL !== undefined)
  // With stopAtFirstError the decorator nearest the property is checked first.
  @MaxLength(256, { message: 'LLM_MODEL must be at most 256 characters' })
  @MinLength(1, { message: 'LLM_MODEL is required when LLM_BASE_URL is set' })
  @IsString({ message: 'LLM_MODEL is required when LLM_BASE_URL is set' })
  LLM_MODEL?: string;

  /** Timeout of one model request (local models on a CPU can be slow). */
  @IntVar('LLM_TIMEOUT_MS', 1_000, 3_600_000)
  LLM_TIMEOUT_MS = 300_000;

  /** Retries of a model request that failed with a connection error, 408, 409, 429 or 5xx (with backoff). */
  @IntVar('LLM_MAX_RETRIES', 0, 10)
  LLM_MAX_RETRIES = 2;

  /** Model calls of one agent step when the pipeline sets no maxTurns. */
  @IntVar('AGENT_MAX_TURNS', 1, 1_000)
  AGENT_MAX_TURNS = 30;

  /** A tool result longer than this is cut to its head and tail before the model sees it. */
  @IntVar('AGENT_TOOL_OUTPUT_MAX_BYTES', 256, 1_048_576)
  AGENT_TOOL_OUTPUT_MAX_BYTES = 16_384;

  /** Timeout of connecting to an MCP server and of each of its tool calls. */
  @IntVar('AGENT_MCP_TIMEOUT_MS', 100, 600_000)
  AGENT_MCP_TIMEOUT_MS = 60_000;

  /** `true` lets agent steps connect to MCP servers on loopback, private and link-local addresses: local development only (`npm start` sets it). */
  @IsIn(['true', 'false'], { message: 'MCP_ALLOW_PRIVATE_TARGETS must be true or false' })
  MCP_ALLOW_PRIVATE_TARGETS = 'false';

  /** How long a run waits for its session's sandbox to be running (a run started with its session waits for the create). */
  @IntVar('RUN_SESSION_WAIT_MS', 1_000, 3_600_000)
  RUN_SESSION_WAIT_MS = 180_000;

  /** Default timeout of a run's exec, test and task steps (the container-manager caps an exec at 10 min). */
  @IntVar('RUN_STEP_TIMEOUT_MS', 1_000, 3_600_000)
  RUN_STEP_TIMEOUT_MS = 600_000;

  /** Timeout of the bootstrap clone. */
  @IntVar('RUN_CLONE_TIMEOUT_MS', 1_000, 600_000)
  RUN_CLONE_TIMEOUT_MS = 600_000;

  /** Timeout of each dependency install of the bootstrap (a failed or timed-out install is reported, not fatal). */
  @IntVar('RUN_INSTALL_TIMEOUT_MS', 1_000, 600_000)
  RUN_INSTALL_TIMEOUT_MS = 300_000;
}
