import type { ServiceDescription } from '@sandbox/shared';
import { configureBrowserAccess } from './modules/browser/browser-access';

/** JSON bodies up to this size: GraphQL writeFile carries file content (base64 of up to 8 MiB). */
export const JSON_BODY_LIMIT = '16mb';

export const API_GATEWAY_SERVICE: ServiceDescription = {
  name: 'api-gateway',
  title: 'api-gateway',
  description: 'GraphQL for the browser (/graphql) and internal REST routes (/api/internal, X-Internal-Service-Key).',
  jsonBodyLimit: JSON_BODY_LIMIT,
  // CORS and the GraphQL explorer, ahead of Apollo (docs/frontend.md).
  configure: configureBrowserAccess,
};
