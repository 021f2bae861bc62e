import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxSession } from '@sandbox/contracts';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { containerName, POOL_LABEL, POOL_SLOT_LABEL, poolDir, workspaceDir } from '../../common/paths';
import { WarmPool } from './warm-pool';

/** Bounded polling for what the pool does in the background. */
async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, attempts = 200, delayMs = 100): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    value = await read();
  }
  return value;
}

describe(WarmPool.name, () => {
  let m: ManagerHarness;
  const created: string[] = [];

  beforeAll(async () => {
    m = await startManager({ WARM_POOL_SIZE: '1', WARM_POOL_TEMPLATES: 'base' });
  });
  afterAll(async () => {
    for (const id of created) await m?.client.deleteSession(id).catch(() => undefined);
    await m?.destroy();
  });

  /** The unclaimed pooled containers of this manager (by the pool label and their pool name). */
  const pooled = async () => {
    const containers = await m.docker.listContainers({ all: true, filters: { label: [`${POOL_LABEL}=base`, `sandbox.manager-id=${m.managerId}`] } });
    return containers.filter((container) => container.Names[0]?.startsWith('/sandbox-pool-') && container.State === 'running');
  };
  const readyPool = async () => {
    const ready = await eventually(pooled, (containers) => containers.length === 1 && m.app.app.get(WarmPool).counts().base === 1);
    expect(ready).toHaveLength(1);
    return ready[0];
  };
  const create = async (body: Record<string, unknown> = {}): Promise<SandboxSession> => {
    const sessionId = randomUUID();
    created.push(sessionId);
    return m.client.createSession({ sessionId, template: 'base', ...body });
  };
  const sh = async (id: string, command: string) => (await m.client.exec(id, { command })).stdout.trim();
  const mountsUnder = (dir: string) =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point.startsWith(`${dir}/`));

  it('should hand a new session the pooled sandbox, renamed, on its own workspace with its env, and refill', async () => {
    const slot = await readyPool();
    const session = await create({ env: { POOL_SECRET: 'alpha' } });
    expect(session.status).toBe('running');
    expect(session.containerId).toBe(slot.Id);
    const inspected = await m.docker.getContainer(slot.Id).inspect();
    expect(inspected.Name).toBe(`/${containerName(session.sessionId)}`);

    expect(await sh(session.sessionId, 'echo "$POOL_SECRET $(pwd) $(id -u)"')).toBe('alpha /workspace 1000');
    await m.client.writeFile(session.sessionId, 'hello.txt', Buffer.from('from the session\n'));
    // The file is on the session's own volume, not on the slot.
    expect(readFileSync(join(workspaceDir(m.dataDir, session.sessionId), 'hello.txt'), 'utf8')).toBe('from the session\n');
    // Background commands and the agent's other services are the session's now.
    const { commandId } = await m.client.startCommand(session.sessionId, { command: 'echo "cmd $POOL_SECRET"' });
    expect(commandId).toMatch(/^[0-9a-f-]{36}$/);

    const next = await readyPool();
    expect(next.Id).not.toBe(slot.Id);
  });

  it('should keep the hardening and the disk quota of a normal create', async () => {
    await readyPool();
    const session = await create({ diskMb: 24 });
    const info = await m.docker.getContainer(session.containerId!).inspect();
    expect(info.Config.Labels[POOL_LABEL]).toBe('base');
    expect(info.Config.User).toBe('1000:1000');
    expect(info.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'], Privileged: false, PidsLimit: expect.any(Number), Memory: 256 * 1024 * 1024 });
    const full = await m.client.exec(session.sessionId, { command: 'dd if=/dev/zero of=/workspace/big bs=1M count=40 2>&1; echo "exit=$?"' });
    expect(full.stdout).toMatch(/No space left on device/);
    expect(await sh(session.sessionId, 'touch /etc/x 2>&1 || echo read-only')).toContain('read-only');
  });

  it('should let nothing of one session reach the next: files, /tmp, processes, env; slots are destroyed, never reused', async () => {
    await readyPool();
    const first = await create({ env: { LEFT_BEHIND: 'secret-1' } });
    const firstSlot = (await m.docker.getContainer(first.containerId!).inspect()).Config.Labels[POOL_SLOT_LABEL];
    await m.client.writeFile(first.sessionId, 'left.txt', Buffer.from('first session\n'));
    await sh(first.sessionId, 'echo first > /tmp/left.txt; mkdir -p /workspace/.cache && echo x > /workspace/.cache/y');
    await m.client.startCommand(first.sessionId, { command: 'exec sleep 4242' });
    // The next pooled sandbox was made while the first session lived: it must see none of it.
    const nextSlot = await readyPool();
    await m.client.deleteSession(first.sessionId);
    await expect(m.docker.getContainer(first.containerId!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(existsSync(join(poolDir(m.dataDir), firstSlot))).toBe(false);
    expect(mountsUnder(join(poolDir(m.dataDir), firstSlot))).toEqual([]);

    const second = await create();
    expect(second.containerId).toBe(nextSlot.Id);
    const secondSlot = (await m.docker.getContainer(second.containerId!).inspect()).Config.Labels[POOL_SLOT_LABEL];
    expect(secondSlot).not.toBe(firstSlot);
    expect(await sh(second.sessionId, 'ls -A /workspace | wc -l')).toBe('0');
    expect(await sh(second.sessionId, 'ls -A /tmp | wc -l')).toBe('0');
    expect(await sh(second.sessionId, 'ps -o args | grep -c "^sleep 4242" || true')).toBe('0');
    expect(await sh(second.sessionId, 'echo "[$LEFT_BEHIND]"; env | grep -c secret-1 || true')).toBe('[]\n0');
    expect(readdirSync(workspaceDir(m.dataDir, second.sessionId))).toEqual([]);
  });

  it('should replace a stopped pooled sandbox with a regular one on start, files kept', async () => {
    await readyPool();
    const session = await create();
    await m.client.writeFile(session.sessionId, 'kept.txt', Buffer.from('kept\n'));
    const pooledId = session.containerId!;
    await m.client.stopSession(session.sessionId);
    const started = await m.client.startSession(session.sessionId);
    expect(started.containerId).not.toBe(pooledId);
    const info = await m.docker.getContainer(started.containerId!).inspect();
    expect(info.Config.Labels[POOL_LABEL]).toBeUndefined();
    expect(info.Name).toBe(`/${containerName(session.sessionId)}`);
    expect(await sh(session.sessionId, 'cat kept.txt')).toBe('kept');
    await expect(m.docker.getContainer(pooledId).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('should keep a claimed sandbox and its agent across a manager restart (the agent re-dials with the session token)', async () => {
    await readyPool();
    const session = await create({ env: { AFTER_RESTART: 'yes' } });
    const unclaimed = await readyPool();
    await m.close();
    m = await startManager({ WARM_POOL_SIZE: '1', WARM_POOL_TEMPLATES: 'base' }, m.dataDir);
    // Background commands need the agent: it came back, and proved itself with the session's token.
    const { commandId } = await m.client.startCommand(session.sessionId, { command: 'echo "$AFTER_RESTART"' });
    const exit = await m.client.followCommandOutput(session.sessionId, commandId, { onOutput: () => undefined });
    expect(exit).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(await sh(session.sessionId, 'echo "$AFTER_RESTART"')).toBe('yes');
    // The unclaimed pooled sandbox of the earlier run was removed, and a new one made.
    await expect(m.docker.getContainer(unclaimed.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await readyPool()).Id).not.toBe(unclaimed.Id);
  });
});
