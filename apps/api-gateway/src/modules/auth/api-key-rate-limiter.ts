import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { rateLimitedException, rateLimitHeaders } from '@sandbox/shared';
import type { Response } from 'express';
import type { AuthenticatedUser } from './auth.types';
import { GatewayConfig } from '../../config/gateway-config';

/** The throttler's name in ThrottlerModule's storage (app.module.ts); a request over the budget is blocked for one window. */
const THROTTLER_NAME = 'api-key';

/**
 * The per-key budget (THROTTLE_LIMIT operations per THROTTLE_TTL_MS), one for every guarded surface:
 * REST routes, GraphQL over HTTP (counted once per request, before execution, whatever the document
 * holds: `{ __typename }` and introspection too) and each operation started over graphql-ws.
 */
@Injectable()
export class ApiKeyRateLimiter {
  /** The decision taken for each HTTP request, shared by everything that asks about it. */
  private readonly decisions = new WeakMap<object, Promise<void>>();
  private readonly limit: number;
  private readonly ttlMs: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    config: GatewayConfig,
  ) {
    this.limit = config.throttle.limit;
    this.ttlMs = config.throttle.ttlMs;
  }

  /**
   * Counts an HTTP request once, however often it is asked about (a GraphQL document asks once per
   * field, concurrently). Writes the RateLimit-* headers while nothing was sent yet; over the budget,
   * throws 429 `Too many requests, retry in {n} s`.
   */
  countRequest(req: object, res: Response | undefined, user: AuthenticatedUser | undefined, fallbackTracker: string): Promise<void> {
    let decision = this.decisions.get(req);
    if (!decision) {
      decision = this.count(user ? `key:${user.apiKeyId}` : fallbackTracker).then((state) => {
        if (res && !res.headersSent) res.set(rateLimitHeaders(state));
      });
      this.decisions.set(req, decision);
    }
    return decision;
  }

  /** Counts one operation of a graphql-ws connection (no headers to write there). */
  async countOperation(user: AuthenticatedUser): Promise<void> {
    await this.count(`key:${user.apiKeyId}`);
  }

  private async count(tracker: string): Promise<{ limit: number; remaining: number; resetSeconds: number }> {
    const key = `${THROTTLER_NAME}-${tracker}`;
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.storage.increment(key, this.ttlMs, this.limit, this.ttlMs, THROTTLER_NAME);
    if (isBlocked) throw rateLimitedException({ limit: this.limit, remaining: 0, resetSeconds: timeToBlockExpire });
    return { limit: this.limit, remaining: this.limit - totalHits, resetSeconds: timeToExpire };
  }
}
