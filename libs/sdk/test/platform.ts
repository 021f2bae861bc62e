import { createHash, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { requireStackVar, startPlatformProcesses } from '@sandbox/testing';

export interface TestPlatform {
  gatewayUrl: string;
  /** A new user with a new API key, written to PostgreSQL as the gateway stores keys (SHA-256 only). */
  newKey(): Promise<string>;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * The three services as real processes from dist/ (`npm run build`), against the real PostgreSQL,
 * Redis and Docker engine, with this suite's own data directory, queue prefix and container label.
 */
export async function startPlatform(name: string): Promise<TestPlatform> {
  const platform = await startPlatformProcesses(name, {
    common: {
      // The in-sandbox agent: background commands and the terminal need it.
      SANDBOX_AGENT_BINARY: requireStackVar('SANDBOX_AGENT_BINARY'),
      OUTBOX_BACKOFF_BASE_MS: '100',
      OUTBOX_POLL_MS: '100',
    },
  });
  const db = new pg.Pool({ connectionString: requireStackVar('TEST_DATABASE_URL'), max: 2 });
  return {
    gatewayUrl: platform.services['api-gateway'].url,
    async newKey() {
      const userId = randomUUID();
      const key = `sk_${randomBytes(32).toString('base64url')}`;
      await db.query('INSERT INTO users (id, name) VALUES ($1, $2)', [userId, `${name}-${userId}`]);
      await db.query('INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)', [
        randomUUID(),
        userId,
        'test',
        key.slice(0, 10),
        createHash('sha256').update(key).digest('hex'),
      ]);
      return key;
    },
    logs: () => platform.output(3000),
    stop: async () => {
      await platform.stop();
      await db.end();
    },
  };
}
