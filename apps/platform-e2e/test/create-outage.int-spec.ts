import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { freePort, removeDataDir, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';

const SESSIONS = 10;

/** Bounded polling for what the platform settles asynchronously. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, delayMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    value = await read();
  }
  return value;
}

/** `docker ps` of this manager's sandboxes: session id → running. */
function sandboxesOf(managerId: string): Map<string, boolean> {
  const out = execFileSync('docker', ['ps', '-a', '--filter', `label=sandbox.manager-id=${managerId}`, '--format', '{{.Label "sandbox.session-id"}} {{.State}}']).toString();
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '))
      .map(([id, state]) => [id, state === 'running']),
  );
}

/**
 * The container-manager killed in the middle of parallel creates, then restarted: whatever each create
 * had reached, the gateway's status must end up matching what runs (ACTIVE exactly when the sandbox
 * runs), and no sandbox may be left running for a session the gateway calls ERROR.
 */
describe('createSession through a container-manager crash', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'create-outage-'));
  const internalKey = `outage-internal-${randomBytes(12).toString('hex')}`;
  const devApiKey = `sk_dev_${randomBytes(24).toString('hex')}`;
  const managerId = `outage-${randomUUID().slice(0, 8)}`;
  let gateway: ServiceProcess;
  let worker: ServiceProcess;
  let manager: ServiceProcess;
  let managerEnv: Record<string, string>;
  let db: pg.Pool;
  const ids: string[] = [];

  beforeAll(async () => {
    const ports = { gateway: await freePort(), worker: await freePort(), manager: await freePort() };
    const env = {
      INTERNAL_SERVICE_KEY: internalKey,
      DATABASE_URL: requireStackVar('TEST_DATABASE_URL'),
      DATA_DIR: dataDir,
      API_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
      CONTAINER_MANAGER_URL: `http://127.0.0.1:${ports.manager}`,
      WORKER_SERVICE_URL: `http://127.0.0.1:${ports.worker}`,
    };
    managerEnv = { ...env, PORT: String(ports.manager), SANDBOX_TEST_LABEL: 'true', SANDBOX_MANAGER_ID: managerId, OUTBOX_BACKOFF_BASE_MS: '100', OUTBOX_POLL_MS: '100' };
    manager = spawnService('container-manager', managerEnv);
    gateway = spawnService('api-gateway', { ...env, PORT: String(ports.gateway), DEV_API_KEY: devApiKey, PENDING_SESSION_TIMEOUT_MS: '3000', PENDING_SWEEP_INTERVAL_MS: '500' });
    // The worker only makes the gateway healthy; no task runs here.
    worker = spawnService('worker-service', { ...env, PORT: String(ports.worker), REDIS_URL: requireStackVar('REDIS_URL'), WORKER_QUEUE_PREFIX: `outage-${randomUUID().slice(0, 8)}` });
    await Promise.all([waitForHealthy(manager, 60_000), waitForHealthy(worker), waitForHealthy(gateway)]);
    db = new pg.Pool({ connectionString: requireStackVar('TEST_DATABASE_URL'), max: 2 });
  });

  afterAll(async () => {
    for (const id of ids) {
      await fetch(`${manager.url}/api/internal/sessions/${id}`, { method: 'DELETE', headers: { [INTERNAL_KEY_HEADER]: internalKey } }).catch(() => undefined);
    }
    for (const id of sandboxesOf(managerId).keys()) execFileSync('docker', ['rm', '-f', `sandbox-session-${id}`], { stdio: 'ignore' });
    await Promise.all([manager?.stop(), worker?.stop(), gateway?.stop()]);
    await db?.query('DELETE FROM sessions WHERE id = ANY($1::uuid[])', [ids]);
    await db?.end();
    removeDataDir(dataDir);
  });

  async function statuses(): Promise<Map<string, { status: string; reason: string | null }>> {
    const { rows } = await db.query<{ id: string; status: string; error_reason: string | null }>('SELECT id, status, error_reason FROM sessions WHERE id = ANY($1::uuid[])', [ids]);
    return new Map(rows.map((row) => [row.id, { status: row.status, reason: row.error_reason }]));
  }

  it('should end with every session ACTIVE exactly when its sandbox runs, and none running for an ERROR session', async () => {
    const creates = await Promise.all(
      Array.from({ length: SESSIONS }, async () => {
        const res = await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { authorization: `Bearer ${devApiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'mutation { createSession { id status } }' }),
        });
        return ((await res.json()) as { data: { createSession: { id: string; status: string } } }).data.createSession;
      }),
    );
    ids.push(...creates.map((session) => session.id));
    expect(creates.every((session) => session.status === 'PENDING')).toBe(true);

    // Kill the manager as soon as the first sandbox container exists: the other creates are in flight.
    await eventually(async () => sandboxesOf(managerId).size, (n) => n > 0, 30_000, 20);
    expect(await manager.stop('SIGKILL')).toBe('SIGKILL');
    // The gateway's calls in flight fail now (reset) and the rest find nobody listening.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    manager = spawnService('container-manager', managerEnv);
    await waitForHealthy(manager, 60_000);

    const settled = await eventually(statuses, (map) => [...map.values()].every((s) => s.status !== 'PENDING'), 60_000);
    // Outbox deliveries after the last status change: give them a moment to land, then compare.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const final = await statuses();
    const running = sandboxesOf(managerId);
    const mismatches = ids
      .map((id) => ({ id, gateway: final.get(id)?.status, reason: final.get(id)?.reason, running: running.get(id) ?? false }))
      .filter((s) => (s.gateway === 'ACTIVE') !== s.running || s.gateway === 'PENDING');
    expect([...settled.values()].filter((s) => s.status === 'PENDING')).toEqual([]);
    expect(mismatches).toEqual([]);
    // The manager had created at least one container before it died, and finished it after its restart.
    expect([...final.values()].filter((s) => s.status === 'ACTIVE').length).toBeGreaterThan(0);
  });
});
