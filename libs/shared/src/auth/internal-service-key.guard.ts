import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';

/** Splits `INTERNAL_SERVICE_KEY` (comma-separated, for rotation) into its keys. */
export function parseInternalKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares `candidate` with every accepted key in constant time: both sides are hashed to the same
 * length first, and every key is compared even after a match, so neither timing nor length leaks.
 */
export function matchesAnyKey(candidate: string, keys: readonly string[]): boolean {
  return matchesAnyDigest(candidate, keys.map(digest));
}

function matchesAnyDigest(candidate: string, keyDigests: readonly Buffer[]): boolean {
  const presented = digest(candidate);
  let matched = false;
  for (const keyDigest of keyDigests) matched = timingSafeEqual(presented, keyDigest) || matched;
  return matched;
}

/** Guards internal routes: `X-Internal-Service-Key` must equal one of the configured keys. */
@Injectable()
export class InternalServiceKeyGuard implements CanActivate {
  /** Digests of the accepted keys, computed once. */
  private readonly keyDigests: Buffer[];

  constructor(config: ConfigService) {
    this.keyDigests = parseInternalKeys(config.get<string>('INTERNAL_SERVICE_KEY')).map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const presented = request.headers[INTERNAL_KEY_HEADER];
    if (typeof presented === 'string' && this.keyDigests.length > 0 && matchesAnyDigest(presented, this.keyDigests)) return true;
    throw new ForbiddenException('Forbidden');
  }
}
