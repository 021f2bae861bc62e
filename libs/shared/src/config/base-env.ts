import { Type } from 'class-transformer';
import { IsIn, IsInt, IsIP, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

const SERVICE_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Variables every service reads (docs/api.md, Services). Each app extends this with its own. */
export class BaseEnvironment {
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(1, { message: 'PORT must be between 1 and 65535' })
  @Max(65535, { message: 'PORT must be between 1 and 65535' })
  PORT!: number;

  /** Services listen on loopback unless told otherwise. */
  @IsIP(undefined, { message: 'HOST must be an IP address' })
  HOST = '127.0.0.1';

  /** One key, or several separated by commas while keys are rotated; each at least 16 characters. */
  @IsString({ message: 'INTERNAL_SERVICE_KEY is required' })
  @Matches(/^\s*[^,\s]{16,}\s*(,\s*[^,\s]{16,}\s*)*$/, {
    message: 'INTERNAL_SERVICE_KEY must be one or more comma-separated keys of at least 16 characters',
  })
  INTERNAL_SERVICE_KEY!: string;

  @IsUrl(SERVICE_URL, { message: 'API_GATEWAY_URL must be an http(s) URL' })
  API_GATEWAY_URL = 'http://localhost:4000';

  @IsUrl(SERVICE_URL, { message: 'WORKER_SERVICE_URL must be an http(s) URL' })
  WORKER_SERVICE_URL = 'http://localhost:4001';

  @IsUrl(SERVICE_URL, { message: 'CONTAINER_MANAGER_URL must be an http(s) URL' })
  CONTAINER_MANAGER_URL = 'http://localhost:4002';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' })
  LOG_LEVEL = 'info';

  /** Timeout of calls to another service, in milliseconds. */
  @Type(() => Number)
  @IsInt({ message: 'SERVICE_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'SERVICE_TIMEOUT_MS must be at least 100' })
  SERVICE_TIMEOUT_MS = 30_000;

  /** On SIGTERM, how long in-flight requests may finish before remaining connections are closed. */
  @Type(() => Number)
  @IsInt({ message: 'SHUTDOWN_DRAIN_MS must be an integer' })
  @Min(0, { message: 'SHUTDOWN_DRAIN_MS must be at least 0' })
  SHUTDOWN_DRAIN_MS = 10_000;

  /** Upper bound of the whole shutdown; past it the process exits with status 1. */
  @Type(() => Number)
  @IsInt({ message: 'SHUTDOWN_TIMEOUT_MS must be an integer' })
  @Min(1000, { message: 'SHUTDOWN_TIMEOUT_MS must be at least 1000' })
  SHUTDOWN_TIMEOUT_MS = 30_000;

  /**
   * Failed authentications (bad or missing API key, wrong internal service key) allowed per client
   * address in each AUTH_FAILURE_WINDOW_MS; beyond it the address gets 429 until the window ends.
   */
  @Type(() => Number)
  @IsInt({ message: 'AUTH_FAILURE_LIMIT must be an integer' })
  @Min(1, { message: 'AUTH_FAILURE_LIMIT must be at least 1' })
  AUTH_FAILURE_LIMIT = 30;

  @Type(() => Number)
  @IsInt({ message: 'AUTH_FAILURE_WINDOW_MS must be an integer' })
  @Min(1000, { message: 'AUTH_FAILURE_WINDOW_MS must be at least 1000' })
  @Max(3_600_000, { message: 'AUTH_FAILURE_WINDOW_MS must be at most 3600000' })
  AUTH_FAILURE_WINDOW_MS = 60_000;
}
