import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { clientAddress } from './client-address';
import { FailureBudget } from './failure-budget';

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

/**
 * One budget of failed attempts per application (its ConfigService), shared by every instance of the
 * guard: Nest creates one per module that uses it.
 */
const failureBudgets = new WeakMap<ConfigService, FailureBudget>();

function failureBudgetOf(config: ConfigService): FailureBudget {
  let budget = failureBudgets.get(config);
  if (!budget) {
    budget = new FailureBudget(config.get<number>('AUTH_FAILURE_LIMIT') ?? 30, config.get<number>('AUTH_FAILURE_WINDOW_MS') ?? 60_000);
    failureBudgets.set(config, budget);
  }
  return budget;
}

/**
 * Guards internal routes: `X-Internal-Service-Key` must equal one of the configured keys. Wrong or
 * missing keys count against the caller's address (AUTH_FAILURE_LIMIT per AUTH_FAILURE_WINDOW_MS);
 * past the budget the address gets 429 until the window ends, before its key is compared.
 */
@Injectable()
export class InternalServiceKeyGuard implements CanActivate {
  /** Digests of the accepted keys, computed once. */
  private readonly keyDigests: Buffer[];
  private readonly failures: FailureBudget;

  constructor(config: ConfigService) {
    this.keyDigests = parseInternalKeys(config.get<string>('INTERNAL_SERVICE_KEY')).map(digest);
    this.failures = failureBudgetOf(config);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const address = clientAddress(request);
    this.failures.assertAllowed(address);
    const presented = request.headers[INTERNAL_KEY_HEADER];
    if (typeof presented === 'string' && this.keyDigests.length > 0 && matchesAnyDigest(presented, this.keyDigests)) return true;
    this.failures.recordFailure(address);
    throw new ForbiddenException('Forbidden');
  }
}
