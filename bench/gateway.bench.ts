import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Agent, request } from 'undici';
import { startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/api-gateway/src/app.module';
import { ApiKeysService } from '../apps/api-gateway/src/modules/auth/api-keys.service';
import { API_GATEWAY_SERVICE } from '../apps/api-gateway/src/service';
import { type Benchmark, requestRows } from './lib/report';
import { alternate } from './lib/stats';

const QUERY = 'query($id: ID!) { session(id: $id) { id status image errorReason createdAt updatedAt } }';
const SQL = 'SELECT id, status, image, error_reason, created_at, updated_at FROM sessions WHERE id = $1 AND owner_id = $2';

/**
 * One session read through the whole gateway (HTTP, API-key lookup, rate limit, GraphQL validation
 * and execution, Prisma) against the same row read with a bare `pg` query on a warm pool.
 */
export const benchmark: Benchmark = {
  name: 'GraphQL session query',
  async run() {
    const databaseUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    if (!databaseUrl) throw new Error('TEST_DATABASE_URL is required (npm run bench loads it from .data/stack.env)');
    const app = await startTestApp(() => AppModule.forRoot(), API_GATEWAY_SERVICE, {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      THROTTLE_LIMIT: '1000000',
      CONTAINER_MANAGER_URL: 'http://127.0.0.1:9',
      WORKER_SERVICE_URL: 'http://127.0.0.1:9',
    });
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
    const { key, record } = await app.app.get(ApiKeysService).issue(`bench-${randomUUID()}`, 'bench');
    const sessionId = randomUUID();
    await pool.query(`INSERT INTO sessions (id, owner_id, status, image) VALUES ($1, $2, 'ACTIVE', 'sandbox-base:local')`, [sessionId, record.userId]);
    const body = JSON.stringify({ query: QUERY, variables: { id: sessionId } });
    const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` };
    try {
      const result = await alternate(
        {
          raw: async () => {
            const { rows } = await pool.query(SQL, [sessionId, record.userId]);
            if (rows.length !== 1) throw new Error('raw read found no row');
          },
          ours: async () => {
            const res = await request(`${app.url}/graphql`, { method: 'POST', headers, body, dispatcher: agent });
            const json = (await res.body.json()) as { data?: { session?: { id: string } } };
            if (json.data?.session?.id !== sessionId) throw new Error(`GraphQL read failed: ${JSON.stringify(json)}`);
          },
        },
        10,
        200,
      );
      return {
        name: 'GraphQL `session` query vs raw pg read',
        description:
          'Sequential reads of one session row: `session(id)` over HTTP through the gateway (Bearer key lookup, per-key rate limit, GraphQL parse/validate/execute, Prisma with the pg adapter) vs the same SELECT with `pg` on a warm pool. Both against the same local PostgreSQL.',
        baselineLabel: 'raw pg',
        oursLabel: 'GraphQL session',
        rows: requestRows(result),
        notes: [
          'The GraphQL path runs two queries per request (API key, then session) plus HTTP and GraphQL work; the baseline is one query, so a ratio well below 1× is expected. It shows what the API layer costs per read.',
        ],
      };
    } finally {
      await pool.query('DELETE FROM users WHERE id = $1', [record.userId]);
      await pool.end();
      await agent.close();
      await app.close();
    }
  },
};
