import { ExecutionContext, Injectable } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import { rateLimitedException, rateLimitHeaders } from '@sandbox/shared';
import type { Response } from 'express';
import type { AuthenticatedRequest, GraphQLRequestContext } from './auth.types';

/**
 * Rate limit per API key (after ApiKeyAuthGuard), for GraphQL operations and REST routes alike.
 * Subscription events are not requests and are not counted; their connection was.
 *
 * A GraphQL document runs the guards once per resolved field, aliases included, and graphql-js may
 * send the answer (a failed non-null field nulls the whole result) while other fields are still
 * resolving. So a request is counted once, its first field decides for all of them, and headers are
 * only written by that first field, before anything was sent.
 */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  /** The decision taken for each request, shared by its fields. */
  private readonly decisions = new WeakMap<object, Promise<void>>();

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType<GqlContextType>() !== 'graphql') return false;
    // Over graphql-ws there is no HTTP response to count against (the upgrade request may be there).
    return !GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().res;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(request.context);
    let decision = this.decisions.get(req);
    if (!decision) {
      decision = this.count(request, req, res as unknown as Response);
      this.decisions.set(req, decision);
    }
    await decision;
    return true;
  }

  protected override getRequestResponse(context: ExecutionContext): { req: Record<string, unknown>; res: Record<string, unknown> } {
    if (context.getType<GqlContextType>() === 'graphql') {
      const gql = GqlExecutionContext.create(context).getContext<GraphQLRequestContext>();
      return { req: gql.req as unknown as Record<string, unknown>, res: gql.res as unknown as Record<string, unknown> };
    }
    const http = context.switchToHttp();
    return { req: http.getRequest(), res: http.getResponse() };
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as AuthenticatedRequest;
    return request.user ? `key:${request.user.apiKeyId}` : `ip:${request.ip ?? 'unknown'}`;
  }

  /** One budget per key across every guarded operation, rather than one per resolver. */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${name}-${suffix}`;
  }

  /** Counts the request; a 429 answers `Too many requests, retry in {n} s` with the standard headers. */
  private async count({ context, limit, ttl, blockDuration, throttler, getTracker, generateKey }: ThrottlerRequest, req: Record<string, unknown>, res: Response): Promise<void> {
    const name = throttler.name ?? 'default';
    const key = generateKey(context, await getTracker(req, context), name);
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    if (isBlocked) throw rateLimitedException({ limit, remaining: 0, resetSeconds: timeToBlockExpire });
    if (!res.headersSent) res.set(rateLimitHeaders({ limit, remaining: limit - totalHits, resetSeconds: timeToExpire }));
  }
}
