import type { ServiceDescription } from '@sandbox/shared';

export const WORKER_SERVICE: ServiceDescription = {
  name: 'worker-service',
  title: 'worker-service',
  description: 'Background tasks with priorities and retries, and cron jobs, on BullMQ. Every /api route needs X-Internal-Service-Key.',
};
