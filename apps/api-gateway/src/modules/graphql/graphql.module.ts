import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { Request, Response } from 'express';
import type { Context } from 'graphql-ws';
import { join } from 'node:path';
import { AuthModule } from '../auth/auth.module';
import { ApiKeysService } from '../auth/api-keys.service';
import type { AuthenticatedUser, GraphQLRequestContext } from '../auth/auth.types';

export const GRAPHQL_PATH = '/graphql';
/** Committed, so schema changes show up in review (code-first: written from the resolvers at boot). */
export const SCHEMA_FILE = join(__dirname, '../../../schema.graphql').replace(/\/dist\/apps\//, '/apps/');

type WsExtra = { user?: AuthenticatedUser; request?: Request };

/** `connection_init` payload `{ authorization: "Bearer ..." }`, else the upgrade request's header. */
function wsAuthorization(ctx: Context<Record<string, unknown> | undefined, WsExtra>): unknown {
  const params = ctx.connectionParams ?? {};
  return params.authorization ?? params.Authorization ?? ctx.extra.request?.headers.authorization;
}

/**
 * Apollo (code-first) on /graphql, GraphQL-over-HTTP (GET and POST, application/graphql-response+json),
 * subscriptions over graphql-ws. Errors get their `extensions.code` from the shared AllExceptionsFilter.
 */
@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [AuthModule],
      inject: [ApiKeysService],
      useFactory: (apiKeys: ApiKeysService): ApolloDriverConfig => ({
        path: GRAPHQL_PATH,
        autoSchemaFile: SCHEMA_FILE,
        sortSchema: true,
        playground: false,
        introspection: true,
        includeStacktraceInErrorResponses: false,
        // Keep the HTTP status an error asks for (401, 429: set by the shared exception filter).
        preserveHttpStatusForExecutionErrors: false,
        // Bearer keys, not cookies, authenticate: a request carrying Authorization cannot be a simple
        // cross-site request, so it is as safe as one with Apollo's preflight header.
        csrfPrevention: { requestHeaders: ['authorization', 'apollo-require-preflight', 'x-apollo-operation-name'] },
        context: (arg: { req?: Request; res?: Response } | Context<Record<string, unknown> | undefined, WsExtra>): GraphQLRequestContext =>
          'extra' in arg ? { user: arg.extra.user } : { req: arg.req, res: arg.res },
        subscriptions: {
          'graphql-ws': {
            path: GRAPHQL_PATH,
            onConnect: async (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
              const wsContext = ctx as Context<Record<string, unknown> | undefined, WsExtra>;
              try {
                wsContext.extra.user = await apiKeys.authenticate(wsAuthorization(wsContext));
                return true;
              } catch {
                return false; // closes the socket with 4403 Forbidden
              }
            },
          },
        },
      }),
    }),
  ],
})
export class GatewayGraphQLModule {}
