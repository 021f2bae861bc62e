import type { NestExpressApplication } from '@nestjs/platform-express';
import { GRAPHQL_PATH } from '../graphql/graphql.module';
import { mountGraphQLExplorer } from './graphql-explorer';
import { OriginPolicy } from './origin-policy';

/** Headers a browser app may send cross-origin; Accept and the like are safelisted anyway. */
const ALLOWED_HEADERS = ['authorization', 'content-type'];
/** Headers a browser app may read: the rate-limit state of its key. */
const EXPOSED_HEADERS = ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];

/**
 * What browsers get from the gateway, set up ahead of Apollo and the routes: CORS for the origins in
 * CORS_ORIGINS (preflights answer 204; no credentials: the API key is a header, never a cookie), and
 * the GraphQL explorer at GET /graphql. Apollo's CSRF check still refuses simple cross-site requests
 * (a form POST or a GET without a preflight-forcing header); graphql-ws upgrades from other origins
 * are refused by WebSocketOriginGate.
 */
export function configureBrowserAccess(app: NestExpressApplication): void {
  const origins = app.get(OriginPolicy);
  app.enableCors({
    origin: (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) => callback(null, origins.allows(origin)),
    credentials: false,
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  mountGraphQLExplorer(app, GRAPHQL_PATH);
}
