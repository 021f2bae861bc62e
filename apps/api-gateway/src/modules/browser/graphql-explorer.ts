import type { NestExpressApplication } from '@nestjs/platform-express';
import { getDistDirectory, renderAltair } from 'altair-static';
import type { NextFunction, Request, Response } from 'express';

/** Where the explorer's own files (scripts, styles, fonts) are served from: node_modules, never a CDN. */
export const EXPLORER_ASSETS_PATH = '/graphql-explorer';

/** A Host header safe to write into the page (the explorer's WebSocket URL is built from it). */
const SAFE_HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/i;

/**
 * The GraphQL explorer (Altair, from the `altair-static` package): a browser's `GET /graphql`
 * (Accept: text/html, no `query` parameter) gets the IDE page; every other request to /graphql goes
 * to Apollo as before. The page works offline: all its files come from this gateway. The API key is
 * set in the page's headers (`Authorization: Bearer ...`) or, for subscriptions, in its connection
 * payload (`{ "authorization": "Bearer ..." }`).
 */
export function mountGraphQLExplorer(app: NestExpressApplication, graphqlPath: string): void {
  const assets = getDistDirectory();
  app.use(graphqlPath, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || req.path !== '/' || 'query' in req.query || req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) !== 'text/html') {
      next();
      return;
    }
    res.type('html').set('cache-control', 'no-store').send(explorerPage(req, graphqlPath));
  });
  app.use(EXPLORER_ASSETS_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    res.sendFile(req.path, { root: assets, dotfiles: 'deny', maxAge: '1d' }, (error?: Error) => {
      if (error && !res.headersSent) next();
    });
  });
}

function explorerPage(req: Request, graphqlPath: string): string {
  const host = req.headers.host && SAFE_HOST.test(req.headers.host) ? req.headers.host : '127.0.0.1:4000';
  return renderAltair({
    baseURL: `${EXPLORER_ASSETS_PATH}/`,
    endpointURL: graphqlPath,
    subscriptionsEndpoint: `ws://${host}${graphqlPath}`,
    initialSubscriptionRequestHandlerId: 'graphql-ws',
    initialName: 'Sandbox platform',
    initialQuery: '# Set the header Authorization: Bearer <your API key> (and the same in the subscription\n# connection payload: { "authorization": "Bearer ..." }), then run:\n{ sessions { total sessions { id status } } }\n',
    initialHeaders: { Authorization: 'Bearer ' },
    initialSettings: { 'alert.disableUpdateNotification': true, 'banners.disable': true, disablePushNotification: true, 'schema.reloadOnStart': true },
    disableAccount: true,
  });
}
