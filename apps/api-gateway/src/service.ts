import type { ServiceDescription } from '@sandbox/shared';

export const API_GATEWAY_SERVICE: ServiceDescription = {
  name: 'api-gateway',
  title: 'api-gateway',
  description: 'GraphQL for the browser (/graphql) and internal REST routes (/api/internal, X-Internal-Service-Key).',
};
