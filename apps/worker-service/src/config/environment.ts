import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
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

  /** A task whose process stops renewing its lock for this long is taken over by another worker. */
  @IntVar('WORKER_LOCK_DURATION_MS', 500)
  WORKER_LOCK_DURATION_MS = 30_000;

  @IntVar('WORKER_STALLED_INTERVAL_MS', 200)
  WORKER_STALLED_INTERVAL_MS = 30_000;

  /** How many times a task may be recovered from a dead worker before it is failed. */
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
}
