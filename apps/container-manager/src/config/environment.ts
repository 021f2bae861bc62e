import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { DEFAULT_TEMPLATE, ExecLimits, IsImageName, IsTemplateName } from '@sandbox/contracts';
import { BaseEnvironment } from '@sandbox/shared';

export class ManagerEnvironment extends BaseEnvironment {
  override PORT = 4002;

  @IsImageName('SANDBOX_IMAGE')
  SANDBOX_IMAGE = 'sandbox-base:local';

  /** Image of the built-in `dev` template (scripts/infra/dev-template.sh builds it). */
  @IsImageName('SANDBOX_DEV_IMAGE')
  SANDBOX_DEV_IMAGE = 'sandbox-dev:local';

  /** Template of a session created without one. */
  @IsTemplateName('SANDBOX_DEFAULT_TEMPLATE')
  SANDBOX_DEFAULT_TEMPLATE = DEFAULT_TEMPLATE;

  /** A template build still running after this long is cancelled (and fails). */
  @Type(() => Number)
  @IsInt({ message: 'TEMPLATE_BUILD_TIMEOUT_MS must be an integer' })
  @Min(1_000, { message: 'TEMPLATE_BUILD_TIMEOUT_MS must be at least 1000' })
  TEMPLATE_BUILD_TIMEOUT_MS = 900_000;

  /** A built template image larger than this is deleted and the template fails. */
  @Type(() => Number)
  @IsInt({ message: 'TEMPLATE_MAX_SIZE_MB must be an integer' })
  @Min(1, { message: 'TEMPLATE_MAX_SIZE_MB must be at least 1' })
  TEMPLATE_MAX_SIZE_MB = 4_096;

  /** Build output kept per template (its tail). */
  @Type(() => Number)
  @IsInt({ message: 'TEMPLATE_BUILD_LOG_MAX_BYTES must be an integer' })
  @Min(1_024, { message: 'TEMPLATE_BUILD_LOG_MAX_BYTES must be at least 1024' })
  TEMPLATE_BUILD_LOG_MAX_BYTES = 262_144;

  /** Where workspaces, git metadata and the SQLite database live. */
  @IsString({ message: 'DATA_DIR must be a path' })
  @Matches(/^\//, { message: 'DATA_DIR must be an absolute path' })
  DATA_DIR!: string;

  /** Search path of the host commands the manager runs (git, find), passed to them as their only PATH. */
  @IsString({ message: 'PATH must be a list of directories' })
  PATH = '/usr/bin:/bin';

  /**
   * bubblewrap (Debian package `bubblewrap`): every git process runs in a mount namespace holding only
   * /usr and the session's volume (docs/git-checkpoints.md). Startup fails if it cannot run.
   */
  @IsString({ message: 'BWRAP_BINARY must be a path' })
  @Matches(/^\/\S*$/, { message: 'BWRAP_BINARY must be an absolute path' })
  BWRAP_BINARY = '/usr/bin/bwrap';

  @IsString({ message: 'PREVIEW_DOMAIN must be a domain name' })
  @Matches(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, { message: 'PREVIEW_DOMAIN must be a lower-case domain name' })
  PREVIEW_DOMAIN = 'preview.localhost';

  /** Port in the preview URLs handed out (a reverse proxy in front may differ from PORT); 0 means PORT. */
  @Type(() => Number)
  @IsInt({ message: 'PREVIEW_PUBLIC_PORT must be an integer' })
  @Min(0, { message: 'PREVIEW_PUBLIC_PORT must be between 0 and 65535' })
  @Max(65535, { message: 'PREVIEW_PUBLIC_PORT must be between 0 and 65535' })
  PREVIEW_PUBLIC_PORT = 0;

  @IsString({ message: 'DOCKER_HOST must be a unix:// or tcp:// address' })
  @Matches(/^(unix|tcp|http):\/\/\S+$/, { message: 'DOCKER_HOST must be a unix:// or tcp:// address' })
  DOCKER_HOST = 'unix:///var/run/docker.sock';

  /** Upper bound of the outbox's exponential backoff between two delivery attempts. */
  @Type(() => Number)
  @IsInt({ message: 'GATEWAY_NOTIFY_MAX_DELAY_MS must be an integer' })
  @Min(100, { message: 'GATEWAY_NOTIFY_MAX_DELAY_MS must be at least 100' })
  GATEWAY_NOTIFY_MAX_DELAY_MS = 30_000;

  /** First retry delay of the outbox; doubled on every failed attempt (with jitter). */
  @Type(() => Number)
  @IsInt({ message: 'OUTBOX_BACKOFF_BASE_MS must be an integer' })
  @Min(10, { message: 'OUTBOX_BACKOFF_BASE_MS must be at least 10' })
  OUTBOX_BACKOFF_BASE_MS = 500;

  /** How often the outbox looks for due messages when nothing wakes it. */
  @Type(() => Number)
  @IsInt({ message: 'OUTBOX_POLL_MS must be an integer' })
  @Min(10, { message: 'OUTBOX_POLL_MS must be at least 10' })
  OUTBOX_POLL_MS = 1_000;

  /** How long a delivered outbox row is kept (for inspection) before the prune deletes it; 0: at the next prune. */
  @Type(() => Number)
  @IsInt({ message: 'OUTBOX_RETENTION_MS must be an integer' })
  @Min(0, { message: 'OUTBOX_RETENTION_MS must be between 0 and 315360000000 (10 years)' })
  @Max(315_360_000_000, { message: 'OUTBOX_RETENTION_MS must be between 0 and 315360000000 (10 years)' })
  OUTBOX_RETENTION_MS = 86_400_000;

  /** How often delivered rows past OUTBOX_RETENTION_MS are deleted (a timer's delay: at most 2^31-1). */
  @Type(() => Number)
  @IsInt({ message: 'OUTBOX_PRUNE_INTERVAL_MS must be an integer' })
  @Min(100, { message: 'OUTBOX_PRUNE_INTERVAL_MS must be between 100 and 2147483647' })
  @Max(2_147_483_647, { message: 'OUTBOX_PRUNE_INTERVAL_MS must be between 100 and 2147483647' })
  OUTBOX_PRUNE_INTERVAL_MS = 300_000;

  /** Docker network the sandboxes join (bridge, inter-container traffic off, host blocked). */
  @IsString({ message: 'SANDBOX_NETWORK must be a docker network name' })
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, { message: 'SANDBOX_NETWORK must be a docker network name' })
  SANDBOX_NETWORK = 'sandbox-net';

  /** `true` labels every container `sandbox.test=true` so the test command can find leftovers. */
  @IsIn(['true', 'false'], { message: 'SANDBOX_TEST_LABEL must be true or false' })
  SANDBOX_TEST_LABEL = 'false';

  /** Owner tag on containers; reconciliation only touches containers carrying it. Default: derived from DATA_DIR. */
  @IsString({ message: 'SANDBOX_MANAGER_ID must be a string' })
  @Matches(/^[a-zA-Z0-9_.-]{0,64}$/, { message: 'SANDBOX_MANAGER_ID must be at most 64 letters, digits, dots, dashes or underscores' })
  SANDBOX_MANAGER_ID = '';

  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_DEFAULT_MEMORY_MB must be an integer' })
  @Min(64, { message: 'SANDBOX_DEFAULT_MEMORY_MB must be at least 64' })
  SANDBOX_DEFAULT_MEMORY_MB = 512;

  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_MAX_MEMORY_MB must be an integer' })
  @Min(64, { message: 'SANDBOX_MAX_MEMORY_MB must be at least 64' })
  SANDBOX_MAX_MEMORY_MB = 4_096;

  @Type(() => Number)
  @IsNumber({}, { message: 'SANDBOX_DEFAULT_CPU must be a number' })
  @Min(0.1, { message: 'SANDBOX_DEFAULT_CPU must be at least 0.1' })
  SANDBOX_DEFAULT_CPU = 1;

  @Type(() => Number)
  @IsNumber({}, { message: 'SANDBOX_MAX_CPU must be a number' })
  @Min(0.1, { message: 'SANDBOX_MAX_CPU must be at least 0.1' })
  SANDBOX_MAX_CPU = 2;

  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_PIDS_LIMIT must be an integer' })
  @Min(16, { message: 'SANDBOX_PIDS_LIMIT must be at least 16' })
  @Max(32_768, { message: 'SANDBOX_PIDS_LIMIT must be at most 32768' })
  SANDBOX_PIDS_LIMIT = 512;

  /** Size of the sandbox's writable /tmp (tmpfs, counted in its memory); the root filesystem is read-only. */
  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_TMPFS_MB must be an integer' })
  @Min(8, { message: 'SANDBOX_TMPFS_MB must be at least 8' })
  SANDBOX_TMPFS_MB = 256;

  /** Size of each session's workspace filesystem (a sparse ext4 image, loop-mounted); 0 disables the quota. */
  @Type(() => Number)
  @ValidateIf((env: ManagerEnvironment) => env.WORKSPACE_QUOTA_MB !== 0) // 0 (quotas off) needs no other check
  @IsInt({ message: 'WORKSPACE_QUOTA_MB must be an integer' })
  @Max(1_048_576, { message: 'WORKSPACE_QUOTA_MB must be 0 (no quota) or between 16 and 1048576' })
  @Min(16, { message: 'WORKSPACE_QUOTA_MB must be 0 (no quota) or between 16 and 1048576' })
  WORKSPACE_QUOTA_MB = 1_024;

  /** A running session with no activity (docs/lifecycle.md) for this long is paused; 0: never. Per session: idleTimeoutMs. */
  @Type(() => Number)
  @IsInt({ message: 'SESSION_IDLE_TIMEOUT_MS must be an integer' })
  @Min(0, { message: 'SESSION_IDLE_TIMEOUT_MS must be between 0 and 2147483647' })
  @Max(2_147_483_647, { message: 'SESSION_IDLE_TIMEOUT_MS must be between 0 and 2147483647' })
  SESSION_IDLE_TIMEOUT_MS = 900_000;

  /** A session paused for this long is stopped; 0: never. Per session: pausedStopMs. */
  @Type(() => Number)
  @IsInt({ message: 'SESSION_PAUSED_STOP_MS must be an integer' })
  @Min(0, { message: 'SESSION_PAUSED_STOP_MS must be between 0 and 2147483647' })
  @Max(2_147_483_647, { message: 'SESSION_PAUSED_STOP_MS must be between 0 and 2147483647' })
  SESSION_PAUSED_STOP_MS = 3_600_000;

  /** A session is stopped this long after its sandbox started, however busy; 0: no limit. Per session: maxLifetimeMs. */
  @Type(() => Number)
  @IsInt({ message: 'SESSION_MAX_LIFETIME_MS must be an integer' })
  @Min(0, { message: 'SESSION_MAX_LIFETIME_MS must be between 0 and 2147483647' })
  @Max(2_147_483_647, { message: 'SESSION_MAX_LIFETIME_MS must be between 0 and 2147483647' })
  SESSION_MAX_LIFETIME_MS = 0;

  /** How often the lifecycle deadlines (idle, paused stop, max lifetime) are checked. */
  @Type(() => Number)
  @IsInt({ message: 'SESSION_LIFECYCLE_CHECK_MS must be an integer' })
  @Min(50, { message: 'SESSION_LIFECYCLE_CHECK_MS must be between 50 and 60000' })
  @Max(60_000, { message: 'SESSION_LIFECYCLE_CHECK_MS must be between 50 and 60000' })
  SESSION_LIFECYCLE_CHECK_MS = 1_000;

  /** Safety net behind Docker's events: how often every live session is checked against its container. */
  @Type(() => Number)
  @IsInt({ message: 'SESSION_RECONCILE_INTERVAL_MS must be an integer' })
  @Min(100, { message: 'SESSION_RECONCILE_INTERVAL_MS must be between 100 and 3600000' })
  @Max(3_600_000, { message: 'SESSION_RECONCILE_INTERVAL_MS must be between 100 and 3600000' })
  SESSION_RECONCILE_INTERVAL_MS = 30_000;

  /** How long a session's usage numbers (Docker stats, filesystem) are reused before being read again. */
  @Type(() => Number)
  @IsInt({ message: 'SESSION_USAGE_CACHE_MS must be an integer' })
  @Min(0, { message: 'SESSION_USAGE_CACHE_MS must be between 0 and 60000' })
  @Max(60_000, { message: 'SESSION_USAGE_CACHE_MS must be between 0 and 60000' })
  SESSION_USAGE_CACHE_MS = 2_000;

  /** json-file log cap of a sandbox container (one file). */
  @IsString({ message: 'SANDBOX_LOG_MAX_SIZE must be a size like 1m' })
  @Matches(/^[1-9][0-9]{0,5}[kmg]$/, { message: 'SANDBOX_LOG_MAX_SIZE must be a size like 512k, 1m or 1g' })
  SANDBOX_LOG_MAX_SIZE = '1m';

  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_STOP_TIMEOUT_S must be an integer' })
  @Min(0, { message: 'SANDBOX_STOP_TIMEOUT_S must be at least 0' })
  SANDBOX_STOP_TIMEOUT_S = 5;

  @Type(() => Number)
  @IsInt({ message: 'EXEC_DEFAULT_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'EXEC_DEFAULT_TIMEOUT_MS must be at least 100' })
  EXEC_DEFAULT_TIMEOUT_MS = ExecLimits.timeoutDefaultMs;

  @Type(() => Number)
  @IsInt({ message: 'EXEC_MAX_TIMEOUT_MS must be an integer' })
  @Min(100, { message: `EXEC_MAX_TIMEOUT_MS must be between 100 and ${ExecLimits.timeoutMaxMs}` })
  @Max(ExecLimits.timeoutMaxMs, { message: `EXEC_MAX_TIMEOUT_MS must be between 100 and ${ExecLimits.timeoutMaxMs}` })
  EXEC_MAX_TIMEOUT_MS = ExecLimits.timeoutMaxMs;

  /** Per stream (stdout, stderr) of one exec; the rest is dropped and `truncated` set. */
  @Type(() => Number)
  @IsInt({ message: 'EXEC_OUTPUT_LIMIT_BYTES must be an integer' })
  @Min(1_024, { message: 'EXEC_OUTPUT_LIMIT_BYTES must be at least 1024' })
  EXEC_OUTPUT_LIMIT_BYTES = 1_048_576;

  /** Largest file read or written through the files API (413 above). */
  @Type(() => Number)
  @IsInt({ message: 'FILE_MAX_BYTES must be an integer' })
  @Min(1_024, { message: 'FILE_MAX_BYTES must be at least 1024' })
  FILE_MAX_BYTES = 26_214_400;

  /** Quiet period after the last workspace change before the automatic checkpoint is taken. */
  @Type(() => Number)
  @IsInt({ message: 'GIT_AUTOCOMMIT_DEBOUNCE_MS must be an integer' })
  @Min(10, { message: 'GIT_AUTOCOMMIT_DEBOUNCE_MS must be at least 10' })
  GIT_AUTOCOMMIT_DEBOUNCE_MS = 500;

  /** Longest an automatic checkpoint waits under continuous changes (one per burst, bursts capped). */
  @Type(() => Number)
  @IsInt({ message: 'GIT_AUTOCOMMIT_MAX_WAIT_MS must be an integer' })
  @Min(10, { message: 'GIT_AUTOCOMMIT_MAX_WAIT_MS must be at least 10' })
  GIT_AUTOCOMMIT_MAX_WAIT_MS = 5_000;

  /** Largest unified diff returned by GET .../git/diff; longer diffs are cut and flagged `truncated`. */
  @Type(() => Number)
  @IsInt({ message: 'GIT_DIFF_MAX_BYTES must be an integer' })
  @Min(1_024, { message: 'GIT_DIFF_MAX_BYTES must be at least 1024' })
  GIT_DIFF_MAX_BYTES = 1_048_576;

  /** A git command producing no output for this long is killed (huge workspaces, stuck disks). */
  @Type(() => Number)
  @IsInt({ message: 'GIT_COMMAND_TIMEOUT_MS must be an integer' })
  @Min(1_000, { message: 'GIT_COMMAND_TIMEOUT_MS must be at least 1000' })
  GIT_COMMAND_TIMEOUT_MS = 120_000;

  /**
   * A session's git host (the confined process its git commands run in, started on its first git
   * command) is closed after this long without one; the next command starts a new one.
   */
  @Type(() => Number)
  @IsInt({ message: 'GIT_HOST_IDLE_MS must be an integer' })
  @Min(100, { message: 'GIT_HOST_IDLE_MS must be between 100 and 3600000' })
  @Max(3_600_000, { message: 'GIT_HOST_IDLE_MS must be between 100 and 3600000' })
  GIT_HOST_IDLE_MS = 30_000;

  /**
   * Files larger than this are left out of checkpoints (and reported as skipped): a checkpoint keeps a
   * copy of every version inside the session's quota, so a few large binaries would fill it. 0: no limit.
   */
  @Type(() => Number)
  @IsInt({ message: 'GIT_CHECKPOINT_MAX_FILE_MB must be an integer' })
  @Min(0, { message: 'GIT_CHECKPOINT_MAX_FILE_MB must be 0 (no limit) or more' })
  GIT_CHECKPOINT_MAX_FILE_MB = 64;

  /**
   * The in-sandbox agent (a static binary, built by scripts/infra/agent.sh): bind-mounted read-only into
   * every new sandbox as its PID 1. Empty: sandboxes run without it (Docker exec for everything, no
   * background commands or watches).
   */
  @IsString({ message: 'SANDBOX_AGENT_BINARY must be a path' })
  @Matches(/^(\/\S*)?$/, { message: 'SANDBOX_AGENT_BINARY must be an absolute path (or empty)' })
  SANDBOX_AGENT_BINARY = '';

  /** How long an exec or file call waits for a sandbox's agent to (re)connect before using Docker exec. */
  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_AGENT_READY_MS must be an integer' })
  @Min(0, { message: 'SANDBOX_AGENT_READY_MS must be between 0 and 60000' })
  @Max(60_000, { message: 'SANDBOX_AGENT_READY_MS must be between 0 and 60000' })
  SANDBOX_AGENT_READY_MS = 5_000;

  /** Directories of a workspace the agent watches (inotify watches are a per-user kernel budget shared by all sandboxes). */
  @Type(() => Number)
  @IsInt({ message: 'SANDBOX_WATCH_MAX_DIRS must be an integer' })
  @Min(1, { message: 'SANDBOX_WATCH_MAX_DIRS must be between 1 and 65536' })
  @Max(65_536, { message: 'SANDBOX_WATCH_MAX_DIRS must be between 1 and 65536' })
  SANDBOX_WATCH_MAX_DIRS = 8_192;

  /** Output of a background command kept in the sandbox for replay (a ring: the oldest bytes go first). */
  @Type(() => Number)
  @IsInt({ message: 'COMMAND_OUTPUT_RING_BYTES must be an integer' })
  @Min(4_096, { message: 'COMMAND_OUTPUT_RING_BYTES must be between 4096 and 67108864' })
  @Max(67_108_864, { message: 'COMMAND_OUTPUT_RING_BYTES must be between 4096 and 67108864' })
  COMMAND_OUTPUT_RING_BYTES = 4_194_304;

  /** Ready sandboxes kept per template for creates to claim (docs/sandboxes.md, "Warm pool"); 0: off. Needs the agent and WORKSPACE_QUOTA_MB's root. */
  @Type(() => Number)
  @IsInt({ message: 'WARM_POOL_SIZE must be an integer' })
  @Min(0, { message: 'WARM_POOL_SIZE must be between 0 and 32' })
  @Max(32, { message: 'WARM_POOL_SIZE must be between 0 and 32' })
  WARM_POOL_SIZE = 0;

  /** Templates that get a warm pool, comma-separated; empty: every READY template. */
  @IsString()
  @Matches(/^[a-z0-9,._-]*$/, { message: 'WARM_POOL_TEMPLATES must be a comma-separated list of template names' })
  WARM_POOL_TEMPLATES = '';

  /** A pooled sandbox older than this is replaced (bounds drift: image updates, memory). */
  @Type(() => Number)
  @IsInt({ message: 'WARM_POOL_MAX_AGE_MS must be an integer' })
  @Min(10_000, { message: 'WARM_POOL_MAX_AGE_MS must be between 10000 and 86400000' })
  @Max(86_400_000, { message: 'WARM_POOL_MAX_AGE_MS must be between 10000 and 86400000' })
  WARM_POOL_MAX_AGE_MS = 1_800_000;
}
