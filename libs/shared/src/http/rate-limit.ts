import { ErrorCode } from '@sandbox/contracts';
import { DomainException } from '../errors/domain.exception';

/** Where a caller stands against one rate limit (per API key, failed authentications per address). */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the budget is whole again (at least 1). */
  resetSeconds: number;
}

/** The `RateLimit-*` headers (IETF draft, separate fields) of every limited response. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(Math.max(0, state.remaining)),
    'RateLimit-Reset': String(Math.max(1, state.resetSeconds)),
  };
}

/**
 * The one answer of every rate limit: 429 `Too many requests, retry in {n} s`, with `Retry-After`
 * and the `RateLimit-*` headers (set by the exception filter, over REST and GraphQL alike).
 */
export function rateLimitedException(state: RateLimitState): DomainException {
  const retryIn = Math.max(1, state.resetSeconds);
  return new DomainException(ErrorCode.RateLimited, `Too many requests, retry in ${retryIn} s`, undefined, {
    headers: { 'Retry-After': String(retryIn), ...rateLimitHeaders({ ...state, remaining: 0, resetSeconds: retryIn }) },
  });
}
