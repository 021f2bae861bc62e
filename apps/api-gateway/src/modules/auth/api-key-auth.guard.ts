import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import { clientAddress } from '@sandbox/shared';
import { ApiKeysService } from './api-keys.service';
import type { AuthenticatedRequest, GraphQLRequestContext } from './auth.types';
import { ApiKeyThrottlerGuard } from './api-key-throttler.guard';

/**
 * Requires `Authorization: Bearer <api key>` on GraphQL over HTTP and on REST routes. Over graphql-ws
 * the key was checked at `connection_init` (headers or connectionParams) and the user is already set.
 * The user is then available through `@CurrentUser()`.
 */
@Injectable()
export class ApiKeyAuthGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType<GqlContextType>() === 'graphql') {
      const gql = GqlExecutionContext.create(context).getContext<GraphQLRequestContext>();
      if (gql.user) return true;
      // Every field of a document (each alias too) runs this guard, concurrently: one lookup, and
      // one failure counted, per request.
      gql.authentication ??= this.apiKeys.authenticate(gql.req?.headers.authorization, clientAddress(gql.req));
      gql.user = await gql.authentication;
      if (gql.req) gql.req.user = gql.user;
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.user = await this.apiKeys.authenticate(request.headers.authorization, clientAddress(request));
    return true;
  }
}

/** API key required, and requests counted against that key's rate limit (429 beyond it). */
export const Authenticated = (): MethodDecorator & ClassDecorator => applyDecorators(UseGuards(ApiKeyAuthGuard, ApiKeyThrottlerGuard));
