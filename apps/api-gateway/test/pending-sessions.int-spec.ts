import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PendingSessionsSweeper } from '../src/modules/sessions/pending-sessions.sweeper';
import { startGateway, TestGateway } from './support/gateway';

/** Sessions left PENDING (e.g. the gateway stopped mid-create) are settled from the manager's record. */
describe(PendingSessionsSweeper.name, () => {
  let manager: Server;
  let gateway: TestGateway;
  /** What the stand-in container-manager knows: session id → its sandbox status (absent = 404). */
  const sandboxes = new Map<string, { status: string; errorReason: string | null }>();

  beforeAll(async () => {
    manager = createServer((req, res) => {
      const id = /^\/api\/internal\/sessions\/([0-9a-f-]{36})$/.exec(req.url ?? '')?.[1];
      const sandbox = id ? sandboxes.get(id) : undefined;
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'GET' || !id || !sandbox) return void res.writeHead(404).end(JSON.stringify({ statusCode: 404, message: 'Session not found' }));
      res.end(JSON.stringify({ sessionId: id, ...sandbox, image: 'sandbox-base:local', containerId: null, containerName: `sandbox-session-${id}`, cpu: 1, memoryMb: 512, lastActivityAt: null, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() }));
    });
    await new Promise<void>((resolve) => manager.listen(0, '127.0.0.1', resolve));
    gateway = await startGateway({
      CONTAINER_MANAGER_URL: `http://127.0.0.1:${(manager.address() as AddressInfo).port}`,
      PENDING_SESSION_TIMEOUT_MS: '60000',
      PENDING_SWEEP_INTERVAL_MS: '200',
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await new Promise((resolve) => manager.close(resolve));
  });

  async function stalePending(userId: string): Promise<string> {
    const id = await gateway.insertSession(userId, 'PENDING');
    await gateway.db.query(`UPDATE sessions SET created_at = now() - interval '10 minutes' WHERE id = $1`, [id]);
    return id;
  }

  async function settledStatus(id: string): Promise<{ status: string; error_reason: string | null }> {
    for (let i = 0; i < 100; i++) {
      const { rows } = await gateway.db.query<{ status: string; error_reason: string | null }>('SELECT status, error_reason FROM sessions WHERE id = $1', [id]);
      if (rows[0]?.status !== 'PENDING') return rows[0];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { status: 'PENDING', error_reason: null };
  }

  it('should settle stale PENDING sessions from the manager and leave fresh ones alone', async () => {
    const { userId } = await gateway.newUser();
    const running = await stalePending(userId);
    const failed = await stalePending(userId);
    const unknown = await stalePending(userId);
    const creating = await stalePending(userId);
    const fresh = await gateway.insertSession(userId, 'PENDING');
    sandboxes.set(running, { status: 'running', errorReason: null });
    sandboxes.set(failed, { status: 'error', errorReason: 'image sandbox-base:local not found' });
    sandboxes.set(creating, { status: 'creating', errorReason: null });
    sandboxes.set(fresh, { status: 'running', errorReason: null });

    expect(await settledStatus(running)).toEqual({ status: 'ACTIVE', error_reason: null });
    expect(await settledStatus(failed)).toEqual({ status: 'ERROR', error_reason: 'image sandbox-base:local not found' });
    expect(await settledStatus(unknown)).toMatchObject({ status: 'ERROR', error_reason: expect.stringContaining('never created') });
    // Another full sweep has passed once these are settled: the still-creating and the fresh one stay PENDING.
    await gateway.app.get(PendingSessionsSweeper).sweep();
    expect(await gateway.statusOf(creating)).toBe('PENDING');
    expect(await gateway.statusOf(fresh)).toBe('PENDING');
  });
});
