import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateBy } from 'class-validator';
import { DEFAULT_TEMPLATE, TEMPLATE_NAME_PATTERN } from '@sandbox/contracts';
import { BaseEnvironment } from '@sandbox/shared';
import { isOriginList } from '../modules/browser/origin-policy';

export class GatewayEnvironment extends BaseEnvironment {
  override PORT = 4000;

  @IsString({ message: 'DATABASE_URL is required' })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgresql:// URL' })
  DATABASE_URL!: string;

  /** A known development key (scripts, tests): ensured at boot for the user `dev`. */
  @IsOptional()
  @IsString({ message: 'DEV_API_KEY must be a string' })
  @MinLength(16, { message: 'DEV_API_KEY must be at least 16 characters' })
  @MaxLength(200, { message: 'DEV_API_KEY must be at most 200 characters' })
  DEV_API_KEY?: string;

  /** Template of new sessions when createSession names none. */
  @IsString({ message: 'SANDBOX_DEFAULT_TEMPLATE must be a template name' })
  @Matches(TEMPLATE_NAME_PATTERN, { message: 'SANDBOX_DEFAULT_TEMPLATE must be a template name' })
  SANDBOX_DEFAULT_TEMPLATE = DEFAULT_TEMPLATE;

  /** GraphQL requests allowed per API key in each THROTTLE_TTL_MS window. */
  @Type(() => Number)
  @IsInt({ message: 'THROTTLE_LIMIT must be an integer' })
  @Min(1, { message: 'THROTTLE_LIMIT must be at least 1' })
  THROTTLE_LIMIT = 600;

  @Type(() => Number)
  @IsInt({ message: 'THROTTLE_TTL_MS must be an integer' })
  @Min(1000, { message: 'THROTTLE_TTL_MS must be at least 1000' })
  @Max(3_600_000, { message: 'THROTTLE_TTL_MS must be at most 3600000' })
  THROTTLE_TTL_MS = 60_000;

  /**
   * Browser origins allowed to call the gateway (CORS and graphql-ws upgrades): comma list of origins,
   * `scheme://host:*` for any port, `*` for any origin; empty (the default) allows none. `npm start`
   * sets `http://localhost:*,http://127.0.0.1:*`.
   */
  @ValidateBy({
    name: 'isOriginList',
    validator: { validate: isOriginList, defaultMessage: () => 'CORS_ORIGINS must be a comma list of origins such as https://app.example.com or http://localhost:*' },
  })
  CORS_ORIGINS = '';

  /** The built web console served at /console (`npm run build` writes it); relative to the working directory. */
  @IsString({ message: 'CONSOLE_DIR must be a path' })
  @MinLength(1, { message: 'CONSOLE_DIR must be a path' })
  CONSOLE_DIR = 'dist/console';

  /** A session still PENDING this long after its creation is checked against the container-manager. */
  @Type(() => Number)
  @IsInt({ message: 'PENDING_SESSION_TIMEOUT_MS must be an integer' })
  @Min(1000, { message: 'PENDING_SESSION_TIMEOUT_MS must be at least 1000' })
  PENDING_SESSION_TIMEOUT_MS = 180_000;

  /** How often stale PENDING sessions are looked for. */
  @Type(() => Number)
  @IsInt({ message: 'PENDING_SWEEP_INTERVAL_MS must be an integer' })
  @Min(100, { message: 'PENDING_SWEEP_INTERVAL_MS must be at least 100' })
  PENDING_SWEEP_INTERVAL_MS = 60_000;

  /** `true` lets webhooks target loopback, private and link-local addresses: local development only (`npm start` sets it). */
  @IsIn(['true', 'false'], { message: 'WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_TARGETS = 'false';

  /** `true` lets pipelines name MCP servers on loopback, private and link-local addresses: local development only (`npm start` sets it). */
  @IsIn(['true', 'false'], { message: 'MCP_ALLOW_PRIVATE_TARGETS must be true or false' })
  MCP_ALLOW_PRIVATE_TARGETS = 'false';

  /** Attempts per delivery (the first included) before it is FAILED. */
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_MAX_ATTEMPTS must be an integer' })
  @Min(1, { message: 'WEBHOOK_MAX_ATTEMPTS must be between 1 and 50' })
  @Max(50, { message: 'WEBHOOK_MAX_ATTEMPTS must be between 1 and 50' })
  WEBHOOK_MAX_ATTEMPTS = 10;

  /** First retry delay; each later one doubles (with jitter) up to WEBHOOK_RETRY_MAX_MS. */
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_RETRY_BASE_MS must be an integer' })
  @Min(10, { message: 'WEBHOOK_RETRY_BASE_MS must be at least 10' })
  WEBHOOK_RETRY_BASE_MS = 10_000;

  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_RETRY_MAX_MS must be an integer' })
  @Min(10, { message: 'WEBHOOK_RETRY_MAX_MS must be at least 10' })
  WEBHOOK_RETRY_MAX_MS = 3_600_000;

  /** Bound of each delivery request (connect, headers and body each). */
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'WEBHOOK_TIMEOUT_MS must be between 100 and 60000' })
  @Max(60_000, { message: 'WEBHOOK_TIMEOUT_MS must be between 100 and 60000' })
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** How often the delivery queue is polled when nothing new was queued by this gateway. */
  @Type(() => Number)
  @IsInt({ message: 'WEBHOOK_POLL_INTERVAL_MS must be an integer' })
  @Min(50, { message: 'WEBHOOK_POLL_INTERVAL_MS must be at least 50' })
  WEBHOOK_POLL_INTERVAL_MS = 1000;

  /** Events of a run are kept at least this long after it finished (docs/runs.md); 7 days by default. */
  @Type(() => Number)
  @IsInt({ message: 'RUN_EVENT_RETENTION_MS must be an integer' })
  @Min(60_000, { message: 'RUN_EVENT_RETENTION_MS must be at least 60000' })
  RUN_EVENT_RETENTION_MS = 7 * 24 * 3600_000;

  /** How often runs whose task may have ended without them are checked, and event retention applied. */
  @Type(() => Number)
  @IsInt({ message: 'RUN_SWEEP_INTERVAL_MS must be an integer' })
  @Min(100, { message: 'RUN_SWEEP_INTERVAL_MS must be at least 100' })
  RUN_SWEEP_INTERVAL_MS = 30_000;

  /** A QUEUED or RUNNING run silent this long has its task checked by the sweeper. */
  @Type(() => Number)
  @IsInt({ message: 'RUN_STALL_AFTER_MS must be an integer' })
  @Min(100, { message: 'RUN_STALL_AFTER_MS must be at least 100' })
  RUN_STALL_AFTER_MS = 60_000;

  /** Watchers re-read a run's events at least this often (the LISTEN/NOTIFY doorbell usually wakes them first). */
  @Type(() => Number)
  @IsInt({ message: 'RUN_EVENT_POLL_MS must be an integer' })
  @Min(50, { message: 'RUN_EVENT_POLL_MS must be at least 50' })
  @Max(60_000, { message: 'RUN_EVENT_POLL_MS must be at most 60000' })
  RUN_EVENT_POLL_MS = 1_000;

  /**
   * Events the shared live reader of a run holds for one watcher that has not taken them yet (a slow
   * client); beyond it the watcher is detached and reads its own pages until it is caught up again.
   */
  @Type(() => Number)
  @IsInt({ message: 'RUN_EVENT_WATCHER_BUFFER must be an integer' })
  @Min(1, { message: 'RUN_EVENT_WATCHER_BUFFER must be at least 1' })
  @Max(1_000_000, { message: 'RUN_EVENT_WATCHER_BUFFER must be at most 1000000' })
  RUN_EVENT_WATCHER_BUFFER = 2_000;

  /** Deliveries of a run's task (a worker lost mid-run is one); the run resumes from its last finished step. */
  @Type(() => Number)
  @IsInt({ message: 'RUN_TASK_MAX_ATTEMPTS must be an integer' })
  @Min(1, { message: 'RUN_TASK_MAX_ATTEMPTS must be at least 1' })
  @Max(20, { message: 'RUN_TASK_MAX_ATTEMPTS must be at most 20' })
  RUN_TASK_MAX_ATTEMPTS = 3;

  /**
   * Port of the h2c (HTTP/2 cleartext) listener that serves the Connect services with the gRPC protocol
   * too, on HOST (docs/runs.md, Connect); 0 (the default) leaves it off. Connect and gRPC-Web need no
   * listener of their own: they are served at /connect on PORT.
   */
  @Type(() => Number)
  @IsInt({ message: 'CONNECT_GRPC_PORT must be an integer' })
  @Min(0, { message: 'CONNECT_GRPC_PORT must be between 0 and 65535' })
  @Max(65535, { message: 'CONNECT_GRPC_PORT must be between 0 and 65535' })
  CONNECT_GRPC_PORT = 0;
}
