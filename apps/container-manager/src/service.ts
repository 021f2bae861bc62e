import type { ServiceDescription } from '@sandbox/shared';

export const CONTAINER_MANAGER_SERVICE: ServiceDescription = {
  name: 'container-manager',
  title: 'container-manager',
  description: 'One hardened Docker sandbox per session: exec, files, git checkpoints and the preview proxy. /api/internal routes need X-Internal-Service-Key.',
};
