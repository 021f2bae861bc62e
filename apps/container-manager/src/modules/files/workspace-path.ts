import { posix } from 'node:path';
import { DomainException } from '@sandbox/shared';

/**
 * Checks a caller's path lexically and returns it normalised, relative to the workspace ('.' for
 * the root). Absolute paths, NUL bytes and anything that climbs out with `..` are refused (400).
 * Symlinks are resolved later, inside the sandbox, where they can only point at the sandbox's own files.
 */
export function workspacePath(path: unknown, field = 'path'): string {
  if (typeof path !== 'string' || path.length === 0) throw DomainException.badRequest(`${field} is required`);
  if (path.length > 4096) throw DomainException.badRequest(`${field} is too long`);
  if (path.includes('\0')) throw DomainException.badRequest(`${field} must not contain NUL bytes`);
  if (path.startsWith('/')) throw DomainException.badRequest(`${field} must be relative to the workspace`);
  const normalized = posix.normalize(path).replace(/\/+$/, '') || '.';
  if (normalized === '..' || normalized.startsWith('../')) throw DomainException.badRequest(`${field} must stay inside the workspace`);
  return normalized;
}
