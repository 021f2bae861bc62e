import { randomUUID } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import { request } from 'undici';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { ConfigService } from '@nestjs/config';
import { validateEnvironment } from '@sandbox/shared';
import { RunningApp, requireStackVar, startTestApp } from '@sandbox/testing';
import pg from 'pg';
import WebSocket from 'ws';
import { AppModule } from '../../src/app.module';
import { GatewayEnvironment } from '../../src/config/environment';
import { GatewayConfig } from '../../src/config/gateway-config';
import { ApiKeysService } from '../../src/modules/auth/api-keys.service';
import { API_GATEWAY_SERVICE } from '../../src/service';

export interface TestGateway extends RunningApp {
  internalKey: string;
  db: pg.Pool;
  /** A new user with a new API key (unique name). */
  newUser(): Promise<{ name: string; key: string; userId: string }>;
  /** A session row owned by `userId`, inserted directly (as createSession would) in the given status. */
  insertSession(userId: string, status?: string): Promise<string>;
  statusOf(sessionId: string): Promise<string | undefined>;
}

/**
 * The real gateway module on a random port against the real test PostgreSQL (migrated by
 * `npm test`). CONTAINER_MANAGER_URL defaults to a closed port unless the test passes one.
 */
export async function startGateway(env: Record<string, string | undefined> = {}): Promise<TestGateway> {
  const databaseUrl = requireStackVar('TEST_DATABASE_URL');
  const internalKey = requireStackVar('INTERNAL_SERVICE_KEY');
  const app = await startTestApp(() => AppModule.forRoot(), API_GATEWAY_SERVICE, {
    DATABASE_URL: databaseUrl,
    INTERNAL_SERVICE_KEY: internalKey,
    CONTAINER_MANAGER_URL: 'http://127.0.0.1:9',
    WORKER_SERVICE_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const apiKeys = app.app.get(ApiKeysService);
  return {
    ...app,
    internalKey,
    db,
    async newUser() {
      const name = `test-${randomUUID()}`;
      const { key, record } = await apiKeys.issue(name, 'test');
      return { name, key, userId: record.userId };
    },
    async insertSession(userId, status = 'PENDING') {
      const id = randomUUID();
      await db.query(`INSERT INTO sessions (id, owner_id, status, image) VALUES ($1, $2, $3, 'sandbox-base:local')`, [id, userId, status]);
      return id;
    },
    async statusOf(sessionId) {
      const { rows } = await db.query<{ status: string }>('SELECT status FROM sessions WHERE id = $1', [sessionId]);
      return rows[0]?.status;
    },
    async close() {
      await db.end();
      await app.close();
    },
  };
}

/** The gateway's settings from `env` over the test stack's, validated as at boot: for parts built outside the app. */
export function gatewayConfig(env: Record<string, string> = {}): GatewayConfig {
  const raw = { DATABASE_URL: requireStackVar('TEST_DATABASE_URL'), INTERNAL_SERVICE_KEY: requireStackVar('INTERNAL_SERVICE_KEY'), ...env };
  return new GatewayConfig(new ConfigService(validateEnvironment(GatewayEnvironment, raw)));
}

export async function internalPost(gateway: TestGateway, path: string, body?: unknown, key: string | null = gateway.internalKey) {
  const res = await request(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { ...(key === null ? {} : { [INTERNAL_KEY_HEADER]: key }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  contentType: string;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}

// Tests read response fields freely; the shape is what the assertions check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function gql<T = Record<string, any>>(gateway: RunningApp, key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const res = await request(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  const parsed = (await res.body.json()) as Omit<GraphQLResponse<T>, 'status' | 'contentType'>;
  return { status: res.statusCode, contentType: String(res.headers['content-type']), ...parsed };
}

/** A graphql-ws client of the gateway's /graphql as the holder of `key` (null: no credentials); it connects on first use and never retries. */
export function wsClient(gateway: { url: string }, key: string | null): Client {
  return createClient({
    url: `${gateway.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}
