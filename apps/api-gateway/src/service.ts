import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServiceDescription } from '@sandbox/shared';
import { configureBrowserAccess } from './modules/browser/browser-access';
import { mountConnect } from './modules/connect/mount-connect';
import { mountConsole } from './modules/console/console-static';
import { GatewayConfig } from './config/gateway-config';

/** JSON bodies up to this size: GraphQL writeFile carries file content (base64 of up to 8 MiB). */
export const JSON_BODY_LIMIT = '16mb';

export const API_GATEWAY_SERVICE: ServiceDescription = {
  name: 'api-gateway',
  title: 'api-gateway',
  description: 'GraphQL for the browser (/graphql), the MCP server (/mcp), the web console (/console) and internal REST routes (/api/internal, X-Internal-Service-Key).',
  jsonBodyLimit: JSON_BODY_LIMIT,
  configure: (app: NestExpressApplication) => {
    // CORS and the GraphQL explorer, ahead of Apollo (docs/frontend.md).
    configureBrowserAccess(app);
    // The Connect services at /connect, ahead of Nest's routes (docs/runs.md, Connect).
    mountConnect(app);
    // The web console's static files (docs/developer-surface.md).
    mountConsole(app, app.get(GatewayConfig).consoleDir);
  },
};
