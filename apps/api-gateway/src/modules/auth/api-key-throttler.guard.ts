import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import type { Response } from 'express';
import { ApiKeyRateLimiter } from './api-key-rate-limiter';
import type { AuthenticatedRequest, GraphQLRequestContext } from './auth.types';

/**
 * Rate limit per API key (after ApiKeyAuthGuard) on REST routes and GraphQL fields. GraphQL over HTTP
 * is already counted once per request before execution (graphql-request-limits.plugin.ts), and the
 * limiter remembers that decision, so the fields of a document (aliases included) never count again;
 * operations over graphql-ws are counted when they start (graphql.module.ts).
 */
@Injectable()
export class ApiKeyThrottlerGuard implements CanActivate {
  constructor(private readonly limiter: ApiKeyRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<GqlContextType>() === 'graphql') {
      const gql = GqlExecutionContext.create(context).getContext<GraphQLRequestContext>();
      if (!gql.req || !gql.res) return true;
      await this.limiter.countRequest(gql.req, gql.res, gql.user, `ip:${gql.req.ip ?? 'unknown'}`);
      return true;
    }
    const http = context.switchToHttp();
    const req = http.getRequest<AuthenticatedRequest>();
    await this.limiter.countRequest(req, http.getResponse<Response>(), req.user, `ip:${req.ip ?? 'unknown'}`);
    return true;
  }
}
