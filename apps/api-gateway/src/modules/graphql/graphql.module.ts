import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { Request, Response } from 'express';
import { specifiedRules, validate } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { AllExceptionsFilter, clientAddress, DomainException } from '@sandbox/shared';
import { ErrorCode } from '@sandbox/contracts';
import { ApiKeyConnectionsService } from '../auth/api-key-connections.service';
import { ApiKeyRateLimiter } from '../auth/api-key-rate-limiter';
import { AuthModule } from '../auth/auth.module';
import { ApiKeysService } from '../auth/api-keys.service';
import type { AuthenticatedUser, GraphQLRequestContext } from '../auth/auth.types';
import { documentLimitRules } from './document-limits';
import { formatGraphQLError } from './graphql-errors';
import { requestLimitsPlugin } from './graphql-request-limits.plugin';

export const GRAPHQL_PATH = '/graphql';
/** Committed, so schema changes show up in review (code-first: written from the resolvers at boot). */
export const SCHEMA_FILE = join(__dirname, '../../../schema.graphql').replace(/\/dist\/apps\//, '/apps/');

type WsExtra = {
  user?: AuthenticatedUser;
  request?: Request;
  socket?: WebSocket;
  /** Removes the socket from the API key's open connections (set once authenticated). */
  untrack?: () => void;
};

const rateLimitErrors = new AllExceptionsFilter();

const validateWithLimits: ServerOptions['validate'] = (schema, document) => validate(schema, document, [...specifiedRules, ...documentLimitRules()]);

/** Close code of a refused connection from an address over its failed-authentication budget. */
const RATE_LIMITED_CLOSE_CODE = 4429;

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
      inject: [ApiKeysService, ApiKeyConnectionsService, ApiKeyRateLimiter],
      useFactory: (apiKeys: ApiKeysService, connections: ApiKeyConnectionsService, limiter: ApiKeyRateLimiter): ApolloDriverConfig => ({
        path: GRAPHQL_PATH,
        autoSchemaFile: SCHEMA_FILE,
        sortSchema: true,
        playground: false,
        introspection: true,
        includeStacktraceInErrorResponses: false,
        // Depth, aliases and cost of a document are bounded before execution (document-limits.ts).
        validationRules: documentLimitRules(),
        // Every request over HTTP is authenticated and counted before it runs, whatever it selects.
        plugins: [requestLimitsPlugin(apiKeys, limiter)],
        formatError: formatGraphQLError,
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
            // The same document limits as over HTTP: graphql-ws validates on its own. (Nest passes every
            // graphql-ws server option through, though its type lists only some.)
            ...{ validate: validateWithLimits },
            onConnect: async (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
              const wsContext = ctx as Context<Record<string, unknown> | undefined, WsExtra>;
              const { extra } = wsContext;
              let user: AuthenticatedUser;
              try {
                user = await apiKeys.authenticate(wsAuthorization(wsContext), clientAddress(extra.request));
              } catch (error) {
                if (error instanceof DomainException && error.code === ErrorCode.RateLimited) {
                  extra.socket?.close(RATE_LIMITED_CLOSE_CODE, error.message);
                }
                return false; // closes the socket with 4403 Forbidden
              }
              extra.user = user;
              // Revoking the key closes the socket (4403): a subscription was only checked here.
              const socket = extra.socket;
              if (socket) {
                extra.untrack = connections.track(user.apiKeyId, { close: (code, reason) => socket.close(code, reason) });
                // The client may have gone while the key was looked up: onClose already ran.
                if (socket.readyState !== socket.OPEN) extra.untrack();
              }
              return true;
            },
            // Each operation over the socket counts against the key's rate limit, like a request over HTTP.
            onSubscribe: async (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
              const user = (ctx.extra as WsExtra).user;
              if (!user) return undefined;
              try {
                await limiter.countOperation(user);
                return undefined;
              } catch (error) {
                return [rateLimitErrors.toGraphQLError(error)];
              }
            },
            onClose: (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
              (ctx.extra as WsExtra).untrack?.();
            },
          },
        },
      }),
    }),
  ],
})
export class GatewayGraphQLModule {}
