import { ValidateBy, ValidationOptions } from 'class-validator';
import { TEMPLATE_NAME_PATTERN } from './templates';

/**
 * The input rules every service applies to the same request, written once: the gateway's GraphQL
 * inputs, the container-manager's DTOs and the worker's task payloads use these limits and decorators,
 * so a request one service accepts is never refused by the next one for a different limit.
 */

/** Session ids are lower-case UUIDs (the gateway makes them); they also name files and DNS labels. */
export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const SESSION_ID_MESSAGE = 'Session id must be a UUID';

export const isSessionId = (value: unknown): value is string => typeof value === 'string' && SESSION_ID_PATTERN.test(value);

export const ExecLimits = {
  /** One command string (or one argv element): well under Linux's 128 KiB limit of one argument. */
  commandMaxLength: 64 * 1024,
  argvMaxItems: 1024,
  envMaxEntries: 128,
  envValueMaxLength: 32 * 1024,
  pathMaxLength: 4096,
  timeoutMinMs: 1,
  /** The manager's EXEC_MAX_TIMEOUT_MS may lower it, never raise it. */
  timeoutMaxMs: 600_000,
  /** What the manager applies when a request names no timeout (EXEC_DEFAULT_TIMEOUT_MS may lower it). */
  timeoutDefaultMs: 30_000,
} as const;

/** POSIX-style variable names, as Docker passes them to the sandbox. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const isCommandPart = (part: unknown): part is string => typeof part === 'string' && !part.includes('\0') && part.length <= ExecLimits.commandMaxLength;

/** A shell command (run by `sh -c`) or an argv array; not empty, no NUL bytes, within the limits. */
export function isCommand(value: unknown): value is string | string[] {
  if (typeof value === 'string') return value.trim().length > 0 && isCommandPart(value);
  return Array.isArray(value) && value.length > 0 && value.length <= ExecLimits.argvMaxItems && value.every(isCommandPart) && value[0].length > 0;
}

/** `{ NAME: "value" }`: at most `envMaxEntries` POSIX names mapped to strings without NUL bytes. */
export function isEnvMap(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > ExecLimits.envMaxEntries) return false;
  return entries.every(([name, v]) => ENV_NAME_PATTERN.test(name) && typeof v === 'string' && v.length <= ExecLimits.envValueMaxLength && !v.includes('\0'));
}

const rule = (name: string, validate: (value: unknown) => boolean, message: string) => (options?: ValidationOptions) =>
  ValidateBy({ name, validator: { validate, defaultMessage: () => message } }, options);

export const IsCommand = rule(
  'isCommand',
  isCommand,
  `command must be a non-empty string or a non-empty array of strings, without NUL bytes, each at most ${ExecLimits.commandMaxLength} characters`,
);

export const IsEnvMap = rule(
  'isEnvMap',
  isEnvMap,
  `env must map variable names ([A-Za-z_][A-Za-z0-9_]*) to strings without NUL bytes (at most ${ExecLimits.envMaxEntries} entries)`,
);

/** A local Docker image reference (`sandbox-base:local`): the manager's image settings and a session's `image`. */
export const IMAGE_NAME_PATTERN = /^[a-z0-9][a-z0-9._/:@-]{0,254}$/;

export const IsImageName = (field = 'image', options?: ValidationOptions) =>
  rule('isImageName', (value) => typeof value === 'string' && IMAGE_NAME_PATTERN.test(value), `${field} must be a docker image reference`)(options);

export const IsTemplateName = (field = 'template', options?: ValidationOptions) =>
  rule('isTemplateName', (value) => typeof value === 'string' && TEMPLATE_NAME_PATTERN.test(value), `${field} must be a template name`)(options);

/** `field` names the property in the message (`sessionId must be a UUID`). */
export const IsSessionId = (field = 'sessionId', options?: ValidationOptions) => rule('isSessionId', isSessionId, `${field} must be a UUID`)(options);

export const SessionLimits = {
  /** Longest lifecycle deadline (idle, paused stop, max lifetime) a session may ask for: a timer's 2^31-1 ms (~24.8 days). */
  lifecycleMaxMs: 2_147_483_647,
  /** Smallest workspace filesystem (ext4 needs room for its journal); the manager's WORKSPACE_QUOTA_MB is the largest. */
  diskMinMb: 16,
} as const;

const isLifecycleMs = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= SessionLimits.lifecycleMaxMs;

/** A lifecycle deadline in ms: an integer from 0 (off) to SessionLimits.lifecycleMaxMs. */
export const IsLifecycleMs = (field: string, options?: ValidationOptions) =>
  rule('isLifecycleMs', isLifecycleMs, `${field} must be an integer between 0 (off) and ${SessionLimits.lifecycleMaxMs}`)(options);

/** A workspace size in MB: an integer of at least SessionLimits.diskMinMb (the manager checks its own maximum). */
export const IsDiskMb = (options?: ValidationOptions) =>
  rule('isDiskMb', (value) => typeof value === 'number' && Number.isInteger(value) && value >= SessionLimits.diskMinMb, `diskMb must be an integer of at least ${SessionLimits.diskMinMb}`)(options);
