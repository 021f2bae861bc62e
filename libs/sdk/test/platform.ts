import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';

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
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const managerId = `${name}-${randomUUID().slice(0, 8)}`;
  const queuePrefix = `${name}-${randomUUID().slice(0, 8)}`;
  const ports = { gateway: await freePort(), worker: await freePort(), manager: await freePort() };
  const databaseUrl = requireStackVar('TEST_DATABASE_URL');
  const env = {
    INTERNAL_SERVICE_KEY: `${name}-internal-${randomBytes(12).toString('hex')}`,
    DATABASE_URL: databaseUrl,
    REDIS_URL: requireStackVar('REDIS_URL'),
    DATA_DIR: dataDir,
    SANDBOX_TEST_LABEL: 'true',
    // The in-sandbox agent: background commands and the terminal need it.
    SANDBOX_AGENT_BINARY: requireStackVar('SANDBOX_AGENT_BINARY'),
    SANDBOX_MANAGER_ID: managerId,
    WORKER_QUEUE_PREFIX: queuePrefix,
    OUTBOX_BACKOFF_BASE_MS: '100',
    OUTBOX_POLL_MS: '100',
    API_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
    WORKER_SERVICE_URL: `http://127.0.0.1:${ports.worker}`,
    CONTAINER_MANAGER_URL: `http://127.0.0.1:${ports.manager}`,
  };
  const services: ServiceProcess[] = [
    spawnService('container-manager', { ...env, PORT: String(ports.manager) }),
    spawnService('worker-service', { ...env, PORT: String(ports.worker) }),
    spawnService('api-gateway', { ...env, PORT: String(ports.gateway) }),
  ];
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const stop = async () => {
    await Promise.all(services.map((service) => service.stop()));
    await db.end();
    const containers = execFileSync('docker', ['ps', '-aq', '--filter', `label=sandbox.manager-id=${managerId}`]).toString().split('\n').filter(Boolean);
    if (containers.length > 0) execFileSync('docker', ['rm', '-f', ...containers], { stdio: 'ignore' });
    const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(services.map((service) => waitForHealthy(service, 60_000)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayUrl: env.API_GATEWAY_URL,
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
    logs: () => services.map((service) => `--- ${service.name}\n${service.output().slice(-3000)}`).join('\n'),
    stop,
  };
}
