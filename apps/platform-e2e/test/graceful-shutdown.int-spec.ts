import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';

const headers = () => ({ 'x-internal-service-key': requireStackVar('INTERNAL_SERVICE_KEY'), 'content-type': 'application/json' });

/** SIGTERM drains what is in flight, then the process exits 0; long-lived streams can't hold it up. */
describe('graceful shutdown', () => {
  it('should finish an in-flight exec on the container-manager before exiting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shutdown-manager-'));
    const env = {
      INTERNAL_SERVICE_KEY: requireStackVar('INTERNAL_SERVICE_KEY'),
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      API_GATEWAY_URL: `http://127.0.0.1:${await freePort()}`,
      PORT: String(await freePort()),
    };
    let manager: ServiceProcess = spawnService('container-manager', env);
    const sessionId = randomUUID();
    try {
      await waitForHealthy(manager);
      const created = await request(`${manager.url}/api/internal/sessions`, { method: 'POST', headers: headers(), body: JSON.stringify({ sessionId }) });
      expect(created.statusCode).toBe(201);
      await created.body.dump();

      const exec = request(`${manager.url}/api/internal/sessions/${sessionId}/exec`, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({ command: 'sleep 2; echo drained' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const exited = manager.stop('SIGTERM');
      const response = await exec;
      expect(response.statusCode).toBe(200);
      expect(await response.body.json()).toMatchObject({ exitCode: 0, stdout: 'drained\n', timedOut: false });
      expect(await exited).toBe(0);
    } finally {
      if (manager.child.exitCode !== null || manager.child.signalCode !== null) {
        manager = spawnService('container-manager', env);
        await waitForHealthy(manager);
      }
      await request(`${manager.url}/api/internal/sessions/${sessionId}`, { method: 'DELETE', headers: headers() }).then((r) => r.body.dump());
      await manager.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('should close an open task event stream after the drain period and exit 0', async () => {
    const worker = spawnService('worker-service', {
      INTERNAL_SERVICE_KEY: requireStackVar('INTERNAL_SERVICE_KEY'),
      REDIS_URL: requireStackVar('REDIS_URL'),
      WORKER_QUEUE_PREFIX: `shutdown-${randomUUID().slice(0, 8)}`,
      WORKER_SHUTDOWN_GRACE_MS: '500',
      SHUTDOWN_DRAIN_MS: '1000',
      PORT: String(await freePort()),
    });
    try {
      await waitForHealthy(worker);
      const created = await request(`${worker.url}/api/tasks`, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({ type: 'system.noop', payload: { durationMs: 60_000 }, priority: 5 }),
      });
      const { id } = (await created.body.json()) as { id: string };
      const stream = await request(`${worker.url}/api/tasks/${id}/events`, { headers: { ...headers(), accept: 'text/event-stream' } });
      expect(stream.statusCode).toBe(200);
      const ended = new Promise<void>((resolve) => {
        stream.body.on('error', () => resolve());
        stream.body.on('end', () => resolve());
        stream.body.resume();
      });
      expect(await worker.stop('SIGTERM')).toBe(0);
      await ended;
    } finally {
      await worker.stop('SIGKILL');
    }
  });
});
