import { createHash, randomUUID } from 'node:crypto';
import { SandboxSession, SandboxStatus } from '@sandbox/contracts';
import { FakeGateway } from '../../../test/support/fake-gateway';
import { containersOfSession, docker, makeDataDir, removeDataDir, removeManagedContainers, spawnManager, startManager } from '../../../test/support/manager-harness';
import { SessionsReconciler } from './sessions.reconciler';

describe(SessionsReconciler.name, () => {
  const gateway = new FakeGateway();
  const env = () => ({ API_GATEWAY_URL: gateway.url, OUTBOX_BACKOFF_BASE_MS: '50', GATEWAY_NOTIFY_MAX_DELAY_MS: '500', OUTBOX_POLL_MS: '100', SANDBOX_STOP_TIMEOUT_S: '1', SANDBOX_DEFAULT_MEMORY_MB: '256' });
  const managerIdOf = (dataDir: string) => createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  const dataDirs: string[] = [];

  beforeAll(async () => gateway.up());
  afterAll(async () => {
    await gateway.down();
    for (const dir of dataDirs) {
      await removeManagedContainers(managerIdOf(dir));
      removeDataDir(dir);
    }
  });

  it('should reattach, mark vanished containers as error and remove orphans after a SIGKILL', async () => {
    const dataDir = makeDataDir();
    dataDirs.push(dataDir);
    const first = await spawnManager(dataDir, env());
    const [kept, stopped, vanished] = [randomUUID(), randomUUID(), randomUUID()];
    const keptSession = await first.client.createSession({ sessionId: kept });
    await first.client.exec(kept, { command: 'echo survives > state.txt; sleep 1000 >/dev/null 2>&1 &' });
    await first.client.createSession({ sessionId: stopped });
    await first.client.stopSession(stopped);
    const vanishedSession = await first.client.createSession({ sessionId: vanished });
    await first.kill();

    await docker.getContainer(vanishedSession.containerId!).remove({ force: true });
    const orphanId = randomUUID();
    const orphan = await docker.createContainer({
      Image: 'sandbox-base:local',
      name: `sandbox-session-${orphanId}`,
      Labels: { 'sandbox.session-id': orphanId, 'sandbox.managed': 'true', 'sandbox.manager-id': managerIdOf(dataDir), 'sandbox.test': 'true' },
    });

    const second = await startManager(env(), dataDir);
    try {
      const after = await second.client.getSession(kept);
      expect(after).toMatchObject({ status: SandboxStatus.Running, containerId: keptSession.containerId });
      expect(await containersOfSession(kept)).toHaveLength(1);
      expect((await second.client.exec(kept, { command: 'cat state.txt; pidof sleep >/dev/null && echo still-running' })).stdout).toBe('survives\nstill-running\n');
      expect((await second.client.getSession(stopped)).status).toBe(SandboxStatus.Stopped);
      expect(await second.client.getSession(vanished)).toMatchObject({ status: SandboxStatus.Error, errorReason: 'sandbox container vanished' });
      expect(await docker.getContainer(orphan.id).inspect().then(() => 'exists', () => 'removed')).toBe('removed');
      await gateway.waitFor(() => gateway.appliedFor(vanished).at(-1) === 'error');
      expect(gateway.arrivals.find((a) => a.sessionId === vanished && a.kind === 'error')?.body).toEqual({ reason: 'sandbox container vanished' });
      expect(gateway.appliedFor(kept).filter((t) => !t.startsWith('checkpoint'))).toEqual(['start']); // reattached: no new start
    } finally {
      await second.close();
    }
  });

  it('should neither lose nor duplicate a sandbox when killed in the middle of a create', async () => {
    const dataDir = makeDataDir();
    dataDirs.push(dataDir);
    const first = await spawnManager(dataDir, env());
    const id = randomUUID();
    const creating = first.client.createSession({ sessionId: id }).catch(() => null);
    let containers = await containersOfSession(id);
    for (let i = 0; i < 1_000 && containers.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      containers = await containersOfSession(id);
    }
    await first.kill(); // the container exists; the manager may not have started it or recorded it yet
    await creating;
    expect(containers).toHaveLength(1);

    const second = await startManager(env(), dataDir);
    try {
      const session: SandboxSession = await second.client.getSession(id);
      expect(session.status).toBe(SandboxStatus.Running);
      const after = await containersOfSession(id);
      expect(after).toHaveLength(1);
      expect(after[0].Id).toBe(session.containerId);
      expect(after[0].State).toBe('running');
      expect((await second.client.exec(id, { command: 'echo ok' })).stdout).toBe('ok\n');
      // A retried create from the gateway is answered with the same sandbox.
      const retried = await second.call('POST', '/api/internal/sessions', { sessionId: id });
      expect(retried.status).toBe(200);
      expect((retried.json as SandboxSession).containerId).toBe(session.containerId);
      await gateway.waitFor(() => gateway.appliedFor(id).includes('start'));
    } finally {
      await second.close();
    }
  });
});
