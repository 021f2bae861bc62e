import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { SandboxSession, SandboxStatus } from '@sandbox/contracts';
import { eventually } from '@sandbox/testing';
import { FakeGateway } from '../../../test/support/fake-gateway';
import { docker, makeDataDir, ManagerHarness, removeDataDir, removeManagedContainers, startManager } from '../../../test/support/manager-harness';
import { LifecycleScheduler } from './lifecycle.scheduler';

const WEB_SERVER = `node -e "require('http').createServer((q, s) => s.end('preview says hi')).listen(3000)" >/dev/null 2>&1 &`;
const FETCH_LOCAL = `node -e "require('http').get('http://127.0.0.1:3000/', (r) => r.pipe(process.stdout)).on('error', () => {})"`;
/** A connection attempt to a documentation address (nothing answers): its packets leave the sandbox all the same. */
const SEND_PACKETS = `node -e "require('net').connect(80, '192.0.2.1').on('error', () => {}); setTimeout(() => process.exit(0), 1500)"`;

describe(LifecycleScheduler.name, () => {
  const gateway = new FakeGateway();
  const env = () => ({ API_GATEWAY_URL: gateway.url, OUTBOX_BACKOFF_BASE_MS: '50', OUTBOX_POLL_MS: '100', SESSION_LIFECYCLE_CHECK_MS: '100', WORKSPACE_QUOTA_MB: '64' });
  let m: ManagerHarness;

  beforeAll(async () => {
    await gateway.up();
    m = await startManager(env(), makeDataDir(), { previews: true });
  });
  afterAll(async () => {
    await m?.destroy();
    await gateway.down();
  });

  const statusOf = async (id: string) => (await m.client.getSession(id)).status;
  const reaches = (id: string, status: SandboxStatus, harness = m) =>
    eventually(() => harness.client.getSession(id), (s: SandboxSession) => s.status === status, `session ${id} ${status}`);
  const frozen = async (id: string) => (await docker.getContainer((await m.client.getSession(id)).containerId!).inspect()).State.Paused;

  it('should pause an idle session, and resume it first for an exec, a file call and a preview request', async () => {
    const id = randomUUID();
    const created = await m.client.createSession({ sessionId: id, idleTimeoutMs: 1_500, pausedStopMs: 0 });
    expect(created.lifecycle).toEqual({ idleTimeoutMs: 1_500, pausedStopMs: 0, maxLifetimeMs: 0 });
    await m.client.exec(id, { command: WEB_SERVER });
    await eventually(() => m.client.exec(id, { command: FETCH_LOCAL }), (r) => r.stdout === 'preview says hi', 'web server up');
    await m.client.registerPreview(id, 3000);

    expect((await reaches(id, SandboxStatus.Paused)).pausedAt).not.toBeNull();
    expect(await frozen(id)).toBe(true);
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'pause');
    expect((await m.client.exec(id, { command: 'echo awake' })).stdout).toBe('awake\n');
    expect(await statusOf(id)).toBe(SandboxStatus.Running);
    expect(await frozen(id)).toBe(false);
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'start');

    await reaches(id, SandboxStatus.Paused);
    expect((await m.client.listFiles(id, '.')).path).toBe('.');
    expect(await statusOf(id)).toBe(SandboxStatus.Running);

    await reaches(id, SandboxStatus.Paused);
    const preview = await request(`${m.url}/previews/${id}/`);
    expect(await preview.body.text()).toBe('preview says hi');
    expect(await statusOf(id)).toBe(SandboxStatus.Running);
    const metrics = await (await request(`${m.url}/metrics`)).body.text();
    expect(metrics).toMatch(new RegExp(`sandbox_preview_requests_total\\{[^}]*session_id="${id}",port="3000"[^}]*\\} 1\\b`));
  });

  it('should not pause a session while a command runs in it, however long', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id, idleTimeoutMs: 500 });
    const result = await m.client.exec(id, { command: 'sleep 2; echo done', timeoutMs: 10_000 });
    expect(result.stdout).toBe('done\n');
    expect(gateway.appliedFor(id)).not.toContain('pause');
  });

  it('should stop a session paused for its paused timeout', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id, idleTimeoutMs: 500, pausedStopMs: 1_000 });
    await reaches(id, SandboxStatus.Paused);
    await reaches(id, SandboxStatus.Stopped);
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'stop');
    expect(gateway.appliedFor(id)).toEqual(['start', 'pause', 'stop']);
    expect((await m.client.startSession(id)).status).toBe(SandboxStatus.Running);
  });

  it('should stop a busy session at its max lifetime', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id, maxLifetimeMs: 2_500, idleTimeoutMs: 0 });
    let session = await m.client.getSession(id);
    while (session.status === SandboxStatus.Running) {
      await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'echo busy' });
      session = await m.client.getSession(id);
    }
    expect(session.status).toBe(SandboxStatus.Stopped);
    await gateway.waitFor(() => gateway.appliedFor(id).at(-1) === 'stop');
  });

  it('should pause and resume on request, idempotently, and refuse to pause a session that does not run', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id, idleTimeoutMs: 0 });
    expect((await m.client.pauseSession(id)).status).toBe(SandboxStatus.Paused);
    expect((await m.client.pauseSession(id)).status).toBe(SandboxStatus.Paused);
    expect(await frozen(id)).toBe(true);
    expect((await m.client.resumeSession(id)).status).toBe(SandboxStatus.Running);
    expect((await m.client.resumeSession(id)).status).toBe(SandboxStatus.Running);
    await m.client.pauseSession(id);
    expect((await m.client.stopSession(id)).status).toBe(SandboxStatus.Stopped);
    expect(await m.call('POST', `/api/internal/sessions/${id}/pause`)).toMatchObject({ status: 409, json: { message: `Session ${id} cannot do this while stopped` } });
    expect(await m.call('POST', `/api/internal/sessions/${id}/resume`)).toMatchObject({ status: 409 });
    expect(await m.call('POST', `/api/internal/sessions/${randomUUID()}/pause`)).toMatchObject({ status: 404 });
    expect(await m.call('POST', `/api/internal/sessions/not-a-uuid/resume`)).toMatchObject({ status: 400 });
    await m.client.pauseSession((await m.client.startSession(id)).sessionId);
    await m.client.deleteSession(id); // a paused sandbox is removed like any other
    expect(await docker.listContainers({ all: true, filters: { label: [`sandbox.session-id=${id}`] } })).toEqual([]);
  });

  it('should refuse lifecycle settings and disk sizes out of range with a 400', async () => {
    const bad = async (body: Record<string, unknown>) => (await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), ...body })).json;
    expect(await bad({ idleTimeoutMs: -1 })).toMatchObject({ statusCode: 400, message: ['idleTimeoutMs must be an integer between 0 (off) and 2147483647'] });
    expect(await bad({ maxLifetimeMs: 1.5 })).toMatchObject({ statusCode: 400 });
    expect(await bad({ pausedStopMs: '1000' })).toMatchObject({ statusCode: 400 });
    expect(await bad({ diskMb: 8 })).toMatchObject({ statusCode: 400, message: ['diskMb must be an integer of at least 16'] });
    expect(await bad({ diskMb: 65 })).toMatchObject({ statusCode: 400, message: 'diskMb must be at most 64' });
  });

  it('should give a session the disk it asked for, and count what it uses', async () => {
    const id = randomUUID();
    const created = await m.client.createSession({ sessionId: id, diskMb: 24, idleTimeoutMs: 0 });
    expect(created.diskMb).toBe(24);
    const before = await m.client.sessionUsage(id);
    await m.client.exec(id, { command: 'head -c 8000000 /dev/urandom > blob.bin && sync' });
    const after = await eventually(() => m.client.sessionUsage(id), (u) => (u.diskBytes ?? 0) >= (before.diskBytes ?? 0) + 7_000_000, 'disk usage grows');
    expect(after.diskBytes).toBeLessThan(24 * 1024 * 1024);
    const full = await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'head -c 30000000 /dev/zero > big.bin; echo $?' });
    expect((full.json as { stdout: string; stderr: string }).stderr).toMatch(/No space left on device/);
    // A 413 names the session's own quota, not the manager's maximum.
    const write = await m.call('PUT', `/api/internal/sessions/${id}/files/content?path=more.bin`, Buffer.alloc(1024 * 1024, 1));
    expect(write).toMatchObject({ status: 413, json: { message: 'The workspace is full (quota of 24 MB): more.bin' } });
  });

  it('should report usage numbers that move under load, as Prometheus metrics too, dropped when the session is deleted', async () => {
    const id = randomUUID();
    await m.client.createSession({ sessionId: id, idleTimeoutMs: 0 });
    const idle = await m.client.sessionUsage(id);
    expect(idle).toMatchObject({ sessionId: id });
    expect(idle.memoryBytes).toBeGreaterThan(0);
    await m.client.exec(id, { command: "sh -c 'while :; do :; done' >/dev/null 2>&1 &" });
    await m.client.exec(id, { command: SEND_PACKETS, timeoutMs: 10_000 });
    const busy = await eventually(() => m.client.sessionUsage(id), (u) => u.cpuPercent > 20 && u.networkTxBytes > idle.networkTxBytes, 'cpu and network move');
    expect(busy.cpuPercent).toBeLessThanOrEqual(105); // one CPU of the session's cpu: 1

    const series = (text: string) => text.split('\n').filter((line) => line.includes(`session_id="${id}"`));
    const live = series(await (await request(`${m.url}/metrics`)).body.text());
    for (const name of ['sandbox_session_cpu_percent', 'sandbox_session_memory_bytes', 'sandbox_session_disk_bytes', 'sandbox_session_network_receive_bytes', 'sandbox_session_network_transmit_bytes']) {
      expect(live.some((line) => line.startsWith(`${name}{`))).toBe(true);
    }
    await m.client.deleteSession(id);
    expect(series(await (await request(`${m.url}/metrics`)).body.text())).toEqual([]);
  });

  it('should keep the deadlines across a restart of the manager, from the stored times', async () => {
    const dataDir = makeDataDir();
    const first = await startManager(env(), dataDir);
    const id = randomUUID();
    try {
      await first.client.createSession({ sessionId: id, idleTimeoutMs: 0, pausedStopMs: 2_000 });
      await first.client.pauseSession(id);
      await first.close();
      const second = await startManager(env(), dataDir);
      try {
        await reaches(id, SandboxStatus.Stopped, second);
      } finally {
        await second.close();
      }
    } finally {
      await removeManagedContainers(first.managerId);
      removeDataDir(dataDir);
    }
  });
});
