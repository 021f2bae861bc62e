import { ExecutionContext, Injectable } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest, GraphQLRequestContext } from './auth.types';

/**
 * Rate limit per API key (after ApiKeyAuthGuard), for GraphQL operations and REST routes alike.
 * Subscription events are not requests and are not counted; their connection was.
 */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType<GqlContextType>() !== 'graphql') return false;
    // Over graphql-ws there is no HTTP response to count against (the upgrade request may be there).
    return !GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().res;
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
}
