import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../../database/database.service';
import { FakeGateway } from '../../../test/support/fake-gateway';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { OutboxService } from './outbox.service';

describe(OutboxService.name, () => {
  let m: ManagerHarness;
  const gateway = new FakeGateway();

  beforeAll(async () => {
    await gateway.reservePortDown();
    m = await startManager({ API_GATEWAY_URL: gateway.url, OUTBOX_BACKOFF_BASE_MS: '50', GATEWAY_NOTIFY_MAX_DELAY_MS: '800', OUTBOX_POLL_MS: '100' });
  });
  afterAll(async () => {
    await m?.destroy();
    await gateway.down();
  });

  it('should deliver all 20 notifications made while the gateway was down, in order per session, none applied twice', async () => {
    const sessions = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    // 4 sessions × (create, stop, start, stop, start) = 20 lifecycle operations, all with the gateway down.
    await Promise.all(
      sessions.map(async (id) => {
        await m.client.createSession({ sessionId: id });
        await m.client.stopSession(id);
        await m.client.startSession(id);
        await m.client.stopSession(id);
        await m.client.startSession(id);
      }),
    );
    expect(gateway.arrivals).toEqual([]);
    expect(m.app.app.get(OutboxService).pendingCount()).toBeGreaterThanOrEqual(20);
    await gateway.up();
    await gateway.waitFor(() => sessions.every((id) => gateway.appliedFor(id).filter((t) => !t.startsWith('checkpoint')).length === 5));
    for (const id of sessions) {
      // (checkpoints that the git module may record meanwhile are not lifecycle transitions)
      expect(gateway.appliedFor(id).filter((t) => !t.startsWith('checkpoint'))).toEqual(['start', 'stop', 'start', 'stop', 'start']);
      expect(gateway.arrivals.filter((a) => a.sessionId === id && a.kind !== 'checkpoint').map((a) => a.kind)).toEqual(['start', 'stop', 'start', 'stop', 'start']);
    }
    expect(gateway.arrivals.every((a) => a.key === m.key.split(',')[0])).toBe(true);
    await gateway.waitFor(() => m.app.app.get(OutboxService).pendingCount() === 0);
    await Promise.all(sessions.map((id) => m.client.deleteSession(id)));
  });

  it('should deliver a checkpoint enqueued in a transaction, and refuse an enqueue outside one', async () => {
    const outbox = m.app.app.get(OutboxService);
    const database = m.app.app.get(DatabaseService);
    const sessionId = randomUUID();
    const checkpoint = { sessionId, commitHash: 'a'.repeat(40), filesChanged: 2, messageNumber: 3, description: 'test' };
    expect(() => outbox.enqueue({ type: 'checkpoint.recorded', sessionId, checkpoint })).toThrow(/inside DatabaseService.transaction/);
    database.transaction(() => outbox.enqueue({ type: 'checkpoint.recorded', sessionId, checkpoint }));
    await gateway.waitFor(() => gateway.appliedFor(sessionId).length === 1);
    expect(gateway.arrivals.find((a) => a.sessionId === sessionId)?.body).toEqual(checkpoint);
  });

  it('should drop a notification the gateway can never accept (404) and carry on with the next ones', async () => {
    const outbox = m.app.app.get(OutboxService);
    const database = m.app.app.get(DatabaseService);
    const sessionId = randomUUID();
    gateway.rejectSessions.add(sessionId);
    database.transaction(() => outbox.enqueue({ type: 'session.started', sessionId }));
    await gateway.waitFor(() => gateway.arrivals.some((a) => a.sessionId === sessionId));
    gateway.rejectSessions.delete(sessionId);
    database.transaction(() => outbox.enqueue({ type: 'session.error', sessionId, reason: 'boom' }));
    await gateway.waitFor(() => gateway.appliedFor(sessionId).length === 1);
    expect(gateway.appliedFor(sessionId)).toEqual(['error']);
    expect(gateway.arrivals.filter((a) => a.sessionId === sessionId).map((a) => a.kind)).toEqual(['start', 'error']);
  });
});
