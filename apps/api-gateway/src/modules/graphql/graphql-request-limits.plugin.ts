import type { ApolloDriverConfig } from '@nestjs/apollo';
import { AllExceptionsFilter, clientAddress } from '@sandbox/shared';
import { ApiKeyRateLimiter } from '../auth/api-key-rate-limiter';
import { ApiKeysService } from '../auth/api-keys.service';
import type { GraphQLRequestContext } from '../auth/auth.types';

/** Apollo's plugin type as Nest's driver sees it (Apollo ships separate CJS and ESM declarations). */
type ApolloPlugin = NonNullable<ApolloDriverConfig['plugins']>[number];

/**
 * Every GraphQL request over HTTP is authenticated and counted against its key's rate limit once the
 * operation is known and before anything runs, so operations that call no resolver (`{ __typename }`,
 * introspection) need a key and count like the others. A document refused at validation (syntax,
 * unknown fields, depth, aliases, cost) is answered before this and never counted.
 * The field guards (@Authenticated) then find the user and the decision already made.
 */
export function requestLimitsPlugin(apiKeys: ApiKeysService, limiter: ApiKeyRateLimiter): ApolloPlugin {
  const errors = new AllExceptionsFilter();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue }: { contextValue: GraphQLRequestContext }) {
          const context = contextValue;
          const { req, res } = context;
          if (!req) return; // graphql-ws: authenticated at connection_init, counted per operation there
          try {
            context.authentication ??= apiKeys.authenticate(req.headers.authorization, clientAddress(req));
            context.user = await context.authentication;
            req.user = context.user;
            await limiter.countRequest(req, res, context.user, `ip:${req.ip ?? 'unknown'}`);
          } catch (error) {
            throw errors.toGraphQLError(error);
          }
        },
      };
    },
  };
}
