import { Agent, request } from 'undici';
import { WorkerClient } from '@sandbox/clients';
import { startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/worker-service/src/app.module';
import { WORKER_SERVICE } from '../apps/worker-service/src/service';
import { type Benchmark, requestRows } from './lib/report';
import { alternate } from './lib/stats';

/** A `/health` round trip through the typed client vs a bare undici request to the same server. */
export const benchmark: Benchmark = {
  name: 'Typed client round trip',
  async run() {
    const key = process.env.INTERNAL_SERVICE_KEY ?? 'bench-internal-key-0123456789';
    const app = await startTestApp(() => AppModule.forRoot(), WORKER_SERVICE, { INTERNAL_SERVICE_KEY: key, LOG_LEVEL: 'silent' });
    const client = new WorkerClient({ baseUrl: app.url, internalKey: key });
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
    try {
      const result = await alternate(
        {
          raw: async () => {
            const res = await request(`${app.url}/health`, { dispatcher: agent });
            await res.body.json();
          },
          ours: () => client.health(),
        },
        10,
        200,
      );
      return {
        name: 'Typed client round trip (GET /health on worker-service)',
        description: 'Sequential requests on a keep-alive connection: `WorkerClient.health()` (headers, request id, error mapping) vs a bare `undici.request` + JSON parse.',
        baselineLabel: 'bare undici',
        oursLabel: 'WorkerClient',
        rows: requestRows(result),
      };
    } finally {
      await client.close();
      await agent.close();
      await app.close();
    }
  },
};
