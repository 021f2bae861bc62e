import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { SandboxStatus } from '@sandbox/contracts';
import { eventually } from '@sandbox/testing';
import { FakeGateway } from '../../../test/support/fake-gateway';
import { docker, ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { ContainerMonitor } from './container-monitor';

describe(ContainerMonitor.name, () => {
  const gateway = new FakeGateway();
  let m: ManagerHarness;

  beforeAll(async () => {
    await gateway.up();
    // The periodic sweep is pushed out of reach: what these tests see comes from Docker's events.
    m = await startManager({ API_GATEWAY_URL: gateway.url, OUTBOX_BACKOFF_BASE_MS: '50', OUTBOX_POLL_MS: '100', SESSION_RECONCILE_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    await m?.destroy();
    await gateway.down();
  });

  const statusOf = (id: string) => m.client.getSession(id);
  const failed = (id: string) => eventually(() => statusOf(id), (s) => s.status === SandboxStatus.Error, `session ${id} marked error`);

  it('should mark a killed sandbox error with its exit code, tell the gateway, answer 409 to exec and files, and start it again', async () => {
    const id = randomUUID();
    const created = await m.client.createSession({ sessionId: id });
    await docker.getContainer(created.containerId!).kill();

    expect(await failed(id)).toMatchObject({ status: SandboxStatus.Error, errorReason: 'exited with code 137' });
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'error');
    expect(gateway.arrivals.filter((a) => a.sessionId === id && a.kind === 'error').map((a) => a.body)).toEqual([{ reason: 'exited with code 137' }]);
    const notRunning = { statusCode: 409, message: `Session ${id} is not running (status: error)` };
    expect(await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'echo hi' })).toMatchObject({ status: 409, json: notRunning });
    expect(await m.call('GET', `/api/internal/sessions/${id}/files/content?path=a.txt`)).toMatchObject({ status: 409, json: notRunning });

    const restarted = await m.client.startSession(id);
    expect(restarted).toMatchObject({ status: SandboxStatus.Running, errorReason: null });
    expect((await m.client.exec(id, { command: 'echo back' })).stdout).toBe('back\n');
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'start');
  });

  it('should mark a sandbox removed behind its back as removed, and start it in a new container', async () => {
    const id = randomUUID();
    const created = await m.client.createSession({ sessionId: id });
    await m.client.writeFile(id, 'kept.txt', Buffer.from('workspace survives'));
    await docker.getContainer(created.containerId!).remove({ force: true });

    expect(await failed(id)).toMatchObject({ errorReason: 'removed' });
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'error');
    const restarted = await m.client.startSession(id);
    expect(restarted.status).toBe(SandboxStatus.Running);
    expect(restarted.containerId).not.toBe(created.containerId);
    expect(Buffer.from(await m.client.readFile(id, 'kept.txt')).toString()).toBe('workspace survives');
  });

  it('should mark a sandbox whose init is killed for lack of memory OOMKilled', async () => {
    const id = randomUUID();
    const created = await m.client.createSession({ sessionId: id, memoryMb: 64 });
    // The kernel picks the process with the highest OOM score in the sandbox's cgroup, which is the
    // allocating process itself: here the sandbox's init (the agent) is made the one it picks, as when
    // the init is what grows. (An OOM kill of any other process leaves the sandbox running.)
    const { State } = await docker.getContainer(created.containerId!).inspect();
    writeFileSync(`/proc/${State.Pid}/oom_score_adj`, '1000');
    await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'head -c 200000000 /dev/zero > /tmp/fill', timeoutMs: 20_000 });

    expect(await failed(id)).toMatchObject({ errorReason: 'OOMKilled' });
    expect((await docker.getContainer(created.containerId!).inspect()).State.OOMKilled).toBe(true);
  });

  it('should leave a sandbox running when only a process inside it is killed for lack of memory', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id, memoryMb: 64 });
    const result = await m.client.exec(id, { command: 'node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"', timeoutMs: 20_000 });
    expect(result.exitCode).toBe(137);
    await m.app.app.get(ContainerMonitor).sweep();
    expect((await statusOf(id)).status).toBe(SandboxStatus.Running);
    expect((await m.client.exec(id, { command: 'echo alive' })).stdout).toBe('alive\n');
  });

  it('should find a death it missed with the periodic sweep', async () => {
    const id = randomUUID();
    const created = await m.client.createSession({ sessionId: id });
    const monitor = m.app.app.get(ContainerMonitor);
    await monitor.onModuleDestroy(); // events off: only the sweep is left
    try {
      await docker.getContainer(created.containerId!).kill();
      await docker.getContainer(created.containerId!).wait();
      expect((await statusOf(id)).status).toBe(SandboxStatus.Running);
      await monitor.sweep();
      expect(await statusOf(id)).toMatchObject({ status: SandboxStatus.Error, errorReason: 'exited with code 137' });
    } finally {
      monitor.start();
    }
  });
});
