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
}
