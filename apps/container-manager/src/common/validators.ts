import { registerDecorator, ValidationOptions } from 'class-validator';

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_ENV_ENTRIES = 128;
const MAX_ENV_VALUE = 32 * 1024;

/** A map of environment variables: POSIX names, string values without NUL bytes. */
export function isEnvMap(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_ENV_ENTRIES) return false;
  return entries.every(([key, v]) => ENV_NAME.test(key) && typeof v === 'string' && v.length <= MAX_ENV_VALUE && !v.includes('\0'));
}

/** A shell command (string, run by `sh -c`) or an argv array; no NUL bytes anywhere. */
export function isCommand(value: unknown): value is string | string[] {
  const ok = (s: unknown) => typeof s === 'string' && !s.includes('\0') && s.length <= 128 * 1024;
  if (typeof value === 'string') return value.trim().length > 0 && ok(value);
  return Array.isArray(value) && value.length > 0 && value.length <= 1024 && value.every(ok) && (value[0] as string).length > 0;
}

function decorator(name: string, test: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: String(propertyName),
        options: { message, ...options },
        validator: { validate: test },
      });
}

export const IsEnvMap = decorator('isEnvMap', isEnvMap, '$property must map variable names ([A-Za-z_][A-Za-z0-9_]*) to strings without NUL bytes (at most 128 entries)');
export const IsCommand = decorator('isCommand', isCommand, '$property must be a non-empty string or a non-empty array of strings, without NUL bytes');
