import { randomBytes, randomUUID } from 'node:crypto';
import { InternalSessionsController } from '../src/modules/sessions/internal-sessions.controller';
import { internalPost, startGateway, TestGateway } from './support/gateway';

const sha = (): string => randomBytes(20).toString('hex');
const checkpointBody = (sessionId: string, overrides: Record<string, unknown> = {}) => ({
  sessionId,
  commitHash: sha(),
  filesChanged: 2,
  messageNumber: 1,
  description: 'edit',
  ...overrides,
});

describe(InternalSessionsController.name, () => {
  let gateway: TestGateway;
  let userId: string;

  beforeAll(async () => {
    gateway = await startGateway();
    ({ userId } = await gateway.newUser());
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('seed checklist', () => {
    it('should turn a PENDING session ACTIVE on start', async () => {
      const id = await gateway.insertSession(userId);
      const res = await internalPost(gateway, `/api/internal/sessions/${id}/start`);
      expect(res).toEqual({ status: 200, body: { sessionId: id, status: 'ACTIVE', changed: true } });
      expect(await gateway.statusOf(id)).toBe('ACTIVE');
    });

    it('should turn an ACTIVE session STOPPED on stop', async () => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      const res = await internalPost(gateway, `/api/internal/sessions/${id}/stop`);
      expect(res).toEqual({ status: 200, body: { sessionId: id, status: 'STOPPED', changed: true } });
      expect(await gateway.statusOf(id)).toBe('STOPPED');
    });

    it('should turn a session ERROR with the reason on error', async () => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      const res = await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 'container died' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ERROR', changed: true });
      const { rows } = await gateway.db.query('SELECT status, error_reason FROM sessions WHERE id = $1', [id]);
      expect(rows[0]).toEqual({ status: 'ERROR', error_reason: 'container died' });
    });

    it('should record a checkpoint row (201), and answer 200 for the same commit again', async () => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      const body = checkpointBody(id);
      const first = await internalPost(gateway, '/api/internal/git-checkpoints', body);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ sessionId: id, commitHash: body.commitHash, filesChanged: 2, messageNumber: 1, description: 'edit' });
      const again = await internalPost(gateway, '/api/internal/git-checkpoints', { ...body, description: 'changed' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: first.body?.id, description: 'edit' });
      const { rows } = await gateway.db.query('SELECT commit_hash, files_changed FROM git_checkpoints WHERE session_id = $1', [id]);
      expect(rows).toEqual([{ commit_hash: body.commitHash, files_changed: 2 }]);
    });

    it('should accept null messageNumber and description', async () => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      const res = await internalPost(gateway, '/api/internal/git-checkpoints', checkpointBody(id, { messageNumber: null, description: null }));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ messageNumber: null, description: null });
    });
  });

  describe('transitions', () => {
    it('should restart a STOPPED session', async () => {
      const id = await gateway.insertSession(userId, 'STOPPED');
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/start`)).body).toMatchObject({ status: 'ACTIVE', changed: true });
    });

    it('should be idempotent: the same transition twice is 200 with changed false', async () => {
      const id = await gateway.insertSession(userId);
      await internalPost(gateway, `/api/internal/sessions/${id}/start`);
      expect(await internalPost(gateway, `/api/internal/sessions/${id}/start`)).toEqual({ status: 200, body: { sessionId: id, status: 'ACTIVE', changed: false } });
      await internalPost(gateway, `/api/internal/sessions/${id}/stop`);
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/stop`)).body).toMatchObject({ status: 'STOPPED', changed: false });
      await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 'first' });
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 'second' })).body).toMatchObject({ status: 'ERROR', changed: false });
      const { rows } = await gateway.db.query('SELECT error_reason FROM sessions WHERE id = $1', [id]);
      expect(rows[0].error_reason).toBe('first');
    });

    it.each([
      ['stop', 'PENDING'],
      ['stop', 'ERROR'],
    ])('should answer 409 to %s of a %s session and leave it unchanged', async (transition, status) => {
      const id = await gateway.insertSession(userId, status);
      const res = await internalPost(gateway, `/api/internal/sessions/${id}/${transition}`);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, message: expect.stringContaining(`Session ${id} cannot go from ${status}`) });
      expect(await gateway.statusOf(id)).toBe(status);
    });

    it('should turn an ERROR session ACTIVE when the manager reports that its sandbox runs, clearing the reason', async () => {
      // E.g. marked ERROR while the manager was unreachable, then the manager finished the create.
      const id = await gateway.insertSession(userId);
      await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 'container-manager unreachable' });
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/start`)).body).toMatchObject({ status: 'ACTIVE', changed: true });
      const { rows } = await gateway.db.query('SELECT status, error_reason FROM sessions WHERE id = $1', [id]);
      expect(rows[0]).toEqual({ status: 'ACTIVE', error_reason: null });
    });

    it('should answer 404 for an unknown session on every route', async () => {
      const id = randomUUID();
      for (const transition of ['start', 'stop', 'error']) {
        expect(await internalPost(gateway, `/api/internal/sessions/${id}/${transition}`)).toEqual({ status: 404, body: { statusCode: 404, message: `Session ${id} not found` } });
      }
      expect((await internalPost(gateway, '/api/internal/git-checkpoints', checkpointBody(id))).status).toBe(404);
    });

    it('should apply exactly one of many parallel transitions of one session', async () => {
      const id = await gateway.insertSession(userId);
      const calls = Array.from({ length: 20 }, (_, i) => internalPost(gateway, `/api/internal/sessions/${id}/${i % 2 === 0 ? 'start' : 'error'}`, i % 2 === 0 ? undefined : { reason: `r${i}` }));
      const results = await Promise.all(calls);
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      expect(results.filter((r) => r.body?.changed === true).length).toBeGreaterThanOrEqual(1);
      const final = await gateway.statusOf(id);
      // Whatever the interleaving, the row ends in a state some sequence of legal transitions reaches.
      expect(['ACTIVE', 'ERROR']).toContain(final);
      // Each status change that claimed "changed" was a real, distinct step: the changes alternate
      // (ACTIVE and ERROR differ by at most one), never the same transition applied twice in a row.
      const changedTo = results.filter((r) => r.body?.changed === true).map((r) => r.body?.status);
      const toActive = changedTo.filter((s) => s === 'ACTIVE').length;
      const toError = changedTo.filter((s) => s === 'ERROR').length;
      expect(Math.abs(toActive - toError)).toBeLessThanOrEqual(1);
      expect(final === 'ACTIVE' ? toActive - toError : toError - toActive).toBeGreaterThanOrEqual(0);
    });

    it('should count a parallel start storm as one change', async () => {
      const id = await gateway.insertSession(userId);
      const results = await Promise.all(Array.from({ length: 25 }, () => internalPost(gateway, `/api/internal/sessions/${id}/start`)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(results.filter((r) => r.body?.changed === true)).toHaveLength(1);
      expect(await gateway.statusOf(id)).toBe('ACTIVE');
    });

    it('should record one row for parallel duplicate checkpoints: one 201, the rest 200', async () => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      const body = checkpointBody(id);
      const results = await Promise.all(Array.from({ length: 15 }, () => internalPost(gateway, '/api/internal/git-checkpoints', body)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(14);
      const { rows } = await gateway.db.query('SELECT count(*)::int AS n FROM git_checkpoints WHERE session_id = $1', [id]);
      expect(rows[0].n).toBe(1);
    });
  });

  describe('hostile input', () => {
    it('should answer 403 without or with a wrong internal key, and change nothing', async () => {
      const id = await gateway.insertSession(userId);
      for (const key of [null, 'wrong-key-0123456789', `${gateway.internalKey}x`]) {
        expect(await internalPost(gateway, `/api/internal/sessions/${id}/start`, undefined, key)).toEqual({ status: 403, body: { statusCode: 403, message: 'Forbidden' } });
        expect((await internalPost(gateway, '/api/internal/git-checkpoints', checkpointBody(id), key)).status).toBe(403);
      }
      expect(await gateway.statusOf(id)).toBe('PENDING');
    });

    it.each([
      ['a non-uuid sessionId', { sessionId: 'not-a-uuid' }],
      ['a short commit hash', { commitHash: 'abc123' }],
      ['an uppercase commit hash', { commitHash: 'A'.repeat(40) }],
      ['a negative filesChanged', { filesChanged: -1 }],
      ['a fractional filesChanged', { filesChanged: 1.5 }],
      ['a string filesChanged', { filesChanged: '3' }],
      ['a string messageNumber', { messageNumber: 'one' }],
      ['a huge description', { description: 'x'.repeat(20_000) }],
      ['an unknown field', { extra: true }],
      ['a missing commitHash', { commitHash: undefined }],
    ])('should answer 400 to a checkpoint with %s and record nothing', async (_label, overrides) => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      const res = await internalPost(gateway, '/api/internal/git-checkpoints', checkpointBody(id, overrides));
      expect(res.status).toBe(400);
      expect(res.body?.statusCode).toBe(400);
      const { rows } = await gateway.db.query('SELECT count(*)::int AS n FROM git_checkpoints WHERE session_id = $1', [id]);
      expect(rows[0].n).toBe(0);
    });

    it('should answer 400 to malformed JSON and to a non-uuid session id in the path', async () => {
      expect((await internalPost(gateway, '/api/internal/git-checkpoints', '{"sessionId":')).status).toBe(400);
      expect((await internalPost(gateway, '/api/internal/sessions/not-a-uuid/start')).status).toBe(400);
    });

    it('should answer 400 to an error body with a huge or non-string reason, and keep the status', async () => {
      const id = await gateway.insertSession(userId, 'ACTIVE');
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 'x'.repeat(5000) })).status).toBe(400);
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 42 })).status).toBe(400);
      expect((await internalPost(gateway, `/api/internal/sessions/${id}/error`, { reason: 'ok', admin: true })).status).toBe(400);
      expect(await gateway.statusOf(id)).toBe('ACTIVE');
    });
  });
});
