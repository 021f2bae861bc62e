import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretSealer } from '@sandbox/shared';
import { Webhook } from 'standardwebhooks';
import { WebhookTransportRepository } from '../src/modules/webhooks/webhook-transport.repository';
import { WebhooksRepository } from '../src/modules/webhooks/webhooks.repository';
import { WebhooksResolver } from '../src/modules/webhooks/webhooks.resolver';
import { gatewayConfig, gql, internalPost, startGateway, TestGateway } from './support/gateway';

/** A real HTTP receiver on loopback: answers with `status()`; can be closed and reopened on its port. */
class Receiver {
  readonly received: { headers: IncomingHttpHeaders; body: string }[] = [];
  status: () => number = () => 204;
  responseBody = '';
  port = 0;
  private server: Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async open(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.status(), { 'content-type': 'text/plain' }).end(this.responseBody);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests carrying `type` in their body. */
  of(type: string) {
    return this.received.filter((request) => (JSON.parse(request.body) as { type: string }).type === type);
  }
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, attempts = 300, delayMs = 100): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    value = await read();
  }
  return value;
}

/** The Standard Webhooks check written from the specification with node:crypto only, apart from our signing code. */
function verifiesByHand(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`).digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const CREATE = 'mutation($url: String!, $events: [String!]!) { createWebhook(input: { url: $url, events: $events }) { id secret url events createdAt } }';
const DELIVERIES = 'query($id: ID!) { webhookDeliveries(webhookId: $id) { id eventType status attempts lastStatusCode lastError responseExcerpt createdAt lastAttemptAt nextAttemptAt deliveredAt } }';

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  responseExcerpt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

// Fast retries so that the backoff is seen within a test; the loopback receiver needs private targets.
const FAST = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_BASE_MS: '100',
  WEBHOOK_RETRY_MAX_MS: '300',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  WEBHOOK_MAX_ATTEMPTS: '4',
  WEBHOOK_TIMEOUT_MS: '2000',
};

describe(WebhooksResolver.name, () => {
  let gateway: TestGateway;
  const receivers: Receiver[] = [];

  async function receiver(): Promise<Receiver> {
    const r = new Receiver();
    await r.open();
    receivers.push(r);
    return r;
  }

  async function createWebhook(key: string, url: string, events: string[]): Promise<{ id: string; secret: string }> {
    const res = await gql(gateway, key, CREATE, { url, events });
    expect(res.errors).toBeUndefined();
    return res.data!.createWebhook as { id: string; secret: string };
  }

  async function deliveries(key: string, webhookId: string, on: TestGateway = gateway): Promise<Delivery[]> {
    const res = await gql(on, key, DELIVERIES, { id: webhookId });
    expect(res.errors).toBeUndefined();
    return res.data!.webhookDeliveries as Delivery[];
  }

  /** A session of `userId` that the manager reports started: publishes session.started. */
  async function startedSession(on: TestGateway, userId: string): Promise<string> {
    const id = await on.insertSession(userId, 'PENDING');
    expect((await internalPost(on, `/api/internal/sessions/${id}/start`)).status).toBe(200);
    return id;
  }

  beforeAll(async () => {
    gateway = await startGateway(FAST);
  });

  afterAll(async () => {
    await gateway?.close();
    for (const r of receivers) await r.close();
  });

  it('should deliver signed events that an independent verifier accepts, only for the subscribed patterns', async () => {
    const alice = await gateway.newUser();
    const r = await receiver();
    const sessions = await createWebhook(alice.key, r.url, ['session.*']);
    const checkpoints = await createWebhook(alice.key, r.url, ['checkpoint.created']);
    expect(sessions.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const sessionId = await startedSession(gateway, alice.userId);
    // Deliveries are queued before the route answers: the checkpoint webhook has none for session.started.
    expect(await deliveries(alice.key, checkpoints.id)).toEqual([]);
    const [delivery] = await eventually(() => deliveries(alice.key, sessions.id), (list) => list[0]?.status === 'DELIVERED');
    expect(delivery).toMatchObject({ eventType: 'session.started', status: 'DELIVERED', attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
    expect(delivery.deliveredAt).not.toBeNull();

    const [request] = r.of('session.started');
    expect(request.headers['webhook-id']).toBe(delivery.id);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      type: 'session.started',
      timestamp: expect.any(String),
      data: { sessionId, status: 'ACTIVE', template: null, errorReason: null },
    });
    // The specification's own verifier (throws when the signature or timestamp is wrong) and a hand check.
    expect(new Webhook(sessions.secret).verify(request.body, request.headers as Record<string, string>)).toMatchObject({ type: 'session.started' });
    expect(verifiesByHand(sessions.secret, request.headers, request.body)).toBe(true);
    expect(verifiesByHand(checkpoints.secret, request.headers, request.body)).toBe(false);
    expect(() => new Webhook(sessions.secret).verify(request.body.replace('ACTIVE', 'STOPPED'), request.headers as Record<string, string>)).toThrow();

    const commitHash = randomBytes(20).toString('hex');
    const recorded = await internalPost(gateway, '/api/internal/git-checkpoints', { sessionId, commitHash, filesChanged: 1, messageNumber: 1, description: 'edit' });
    expect(recorded.status).toBe(201);
    await eventually(async () => r.of('checkpoint.created'), (list) => list.length === 1);
    const checkpoint = r.of('checkpoint.created')[0];
    expect(JSON.parse(checkpoint.body)).toMatchObject({ data: { sessionId, checkpoint: { commitHash, filesChanged: 1, description: 'edit' } } });
    expect(verifiesByHand(checkpoints.secret, checkpoint.headers, checkpoint.body)).toBe(true);
  });

  it('should retry a receiver that answers 503 with backoff until it accepts, and list every attempt', async () => {
    const user = await gateway.newUser();
    const r = await receiver();
    let calls = 0;
    r.status = () => (++calls <= 2 ? 503 : 200);
    r.responseBody = 'x'.repeat(5000);
    const hook = await createWebhook(user.key, r.url, ['*']);
    await startedSession(gateway, user.userId);
    const [delivery] = await eventually(() => deliveries(user.key, hook.id), (list) => list[0]?.status === 'DELIVERED');
    // At least 3: other gateways sharing the test database may take an attempt too (each counts).
    expect(delivery).toMatchObject({ status: 'DELIVERED', lastStatusCode: 200, lastError: null });
    expect(delivery.attempts).toBeGreaterThanOrEqual(3);
    expect(delivery.responseExcerpt).toHaveLength(512);
    // Every attempt carries the same message id and a fresh, valid signature.
    const requests = r.of('session.started');
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([delivery.id]));
    for (const request of requests) expect(verifiesByHand(hook.secret, request.headers, request.body)).toBe(true);
  });

  it('should redeliver once a receiver that was down comes back, and mark a delivery FAILED after the last attempt', async () => {
    const user = await gateway.newUser();
    const r = await receiver();
    await r.close();
    const hook = await createWebhook(user.key, r.url, ['session.started']);
    await startedSession(gateway, user.userId);
    const [refused] = await eventually(() => deliveries(user.key, hook.id), (list) => (list[0]?.attempts ?? 0) >= 1 && list[0]?.lastError !== null);
    expect(refused).toMatchObject({ status: 'PENDING', lastStatusCode: null, lastError: expect.stringContaining('ECONNREFUSED') });
    await r.open();
    const [delivered] = await eventually(() => deliveries(user.key, hook.id), (list) => list[0]?.status === 'DELIVERED');
    expect(delivered.attempts).toBeGreaterThan(1);
    expect(r.of('session.started')).toHaveLength(1);

    r.status = () => 500;
    await startedSession(gateway, user.userId);
    const failed = await eventually(() => deliveries(user.key, hook.id), (list) => list[0]?.status === 'FAILED');
    expect(failed[0]).toMatchObject({ status: 'FAILED', lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: null });
    expect(failed[0].attempts).toBeGreaterThanOrEqual(4);
  });

  it('should deliver what was still pending when the gateway stopped, after it starts again', async () => {
    const second = await startGateway(FAST);
    const user = await second.newUser();
    const r = await receiver();
    await r.close();
    const hook = await createWebhook(user.key, r.url, ['session.*']);
    await startedSession(second, user.userId);
    await eventually(() => deliveries(user.key, hook.id, second), (list) => (list[0]?.attempts ?? 0) >= 1 && list[0]?.lastError !== null);
    await second.close();

    await r.open();
    const restarted = await startGateway(FAST);
    try {
      const [delivery] = await eventually(() => deliveries(user.key, hook.id, restarted), (list) => list[0]?.status === 'DELIVERED');
      expect(delivery.attempts).toBeGreaterThan(1);
      expect(r.of('session.started')).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });

  it('should send run.completed and run.failed when a run of the owner finishes', async () => {
    const user = await gateway.newUser();
    const r = await receiver();
    const hook = await createWebhook(user.key, r.url, ['run.*']);
    const sessionId = await gateway.insertSession(user.userId, 'ACTIVE');
    const finishRun = async (body: Record<string, unknown>): Promise<string> => {
      const runId = randomUUID();
      await gateway.db.query(`INSERT INTO runs (id, session_id, owner_id, pipeline, steps) VALUES ($1, $2, $3, 'custom', '[]')`, [runId, sessionId, user.userId]);
      expect((await internalPost(gateway, `/api/internal/runs/${runId}/claim`, {})).status).toBe(200);
      expect((await internalPost(gateway, `/api/internal/runs/${runId}/finish`, { attempt: 1, ...body })).status).toBe(200);
      return runId;
    };
    const succeeded = await finishRun({ status: 'SUCCEEDED', result: { ok: true } });
    const failed = await finishRun({ status: 'FAILED', error: 'tests failed' });
    await eventually(async () => r.received.length, (n) => n === 2);
    const bodies = r.received.map((request) => JSON.parse(request.body) as { type: string; data: Record<string, unknown> });
    expect(bodies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'run.completed', data: { runId: succeeded, sessionId, pipeline: 'custom', status: 'SUCCEEDED' } }),
        expect.objectContaining({ type: 'run.failed', data: { runId: failed, sessionId, pipeline: 'custom', status: 'FAILED', error: 'tests failed' } }),
      ]),
    );
    for (const request of r.received) expect(verifiesByHand(hook.secret, request.headers, request.body)).toBe(true);
  });

  describe('events queued in the transaction of the change', () => {
    /** Delivery rows of `webhookId` for `type` whose body names `id` (a session, a run, a commit). */
    const queuedFor = async (webhookId: string, type: string, id: string): Promise<number> => {
      const { rows } = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND event_type = $2 AND body LIKE $3', [webhookId, type, `%${id}%`]);
      return rows[0].n;
    };
    /** The next `failures` attempts to queue deliveries fail, as a database error in that statement would. */
    const failQueueing = (failures: number) => {
      let left = failures;
      const repository = gateway.app.get(WebhooksRepository);
      const original = repository.enqueue.bind(repository);
      return jest.spyOn(repository, 'enqueue').mockImplementation((...args: Parameters<WebhooksRepository['enqueue']>) => {
        if (left-- > 0) return Promise.reject(new Error('injected fault: the deliveries cannot be written'));
        return original(...args);
      });
    };

    it('should roll a session transition back when its deliveries cannot be queued, and queue them when the notification is redelivered', async () => {
      const user = await gateway.newUser();
      const r = await receiver();
      const hook = await createWebhook(user.key, r.url, ['session.*']);
      const sessionId = await gateway.insertSession(user.userId, 'PENDING');
      const spy = failQueueing(1);
      try {
        expect((await internalPost(gateway, `/api/internal/sessions/${sessionId}/start`)).status).toBe(500);
        expect(await gateway.statusOf(sessionId)).toBe('PENDING');
        expect(await queuedFor(hook.id, 'session.started', sessionId)).toBe(0);
        expect((await internalPost(gateway, `/api/internal/sessions/${sessionId}/start`)).status).toBe(200);
      } finally {
        spy.mockRestore();
      }
      expect(await gateway.statusOf(sessionId)).toBe('ACTIVE');
      expect(await queuedFor(hook.id, 'session.started', sessionId)).toBe(1);
      await eventually(async () => r.of('session.started').length, (n) => n === 1);
    });

    it('should never leave a status change without its delivery, across many concurrent transitions with faults', async () => {
      const user = await gateway.newUser();
      const r = await receiver();
      const hook = await createWebhook(user.key, r.url, ['session.started']);
      const sessions = await Promise.all(Array.from({ length: 24 }, () => gateway.insertSession(user.userId, 'PENDING')));
      let calls = 0;
      const repository = gateway.app.get(WebhooksRepository);
      const original = repository.enqueue.bind(repository);
      // Every third attempt to queue fails: some transitions must roll back, the others commit with their row.
      const spy = jest.spyOn(repository, 'enqueue').mockImplementation((...args: Parameters<WebhooksRepository['enqueue']>) =>
        ++calls % 3 === 0 ? Promise.reject(new Error('injected fault')) : original(...args),
      );
      let answers: number[];
      try {
        answers = await Promise.all(sessions.map(async (id) => (await internalPost(gateway, `/api/internal/sessions/${id}/start`)).status));
      } finally {
        spy.mockRestore();
      }
      expect(answers.filter((status) => status === 500).length).toBeGreaterThan(0);
      expect(answers.filter((status) => status === 200).length).toBeGreaterThan(0);
      for (const [index, id] of sessions.entries()) {
        const status = await gateway.statusOf(id);
        expect({ id, status, queued: await queuedFor(hook.id, 'session.started', id) }).toEqual(
          answers[index] === 200 ? { id, status: 'ACTIVE', queued: 1 } : { id, status: 'PENDING', queued: 0 },
        );
      }
    });

    it('should record a checkpoint and its delivery together or not at all', async () => {
      const user = await gateway.newUser();
      const r = await receiver();
      const hook = await createWebhook(user.key, r.url, ['checkpoint.created']);
      const sessionId = await gateway.insertSession(user.userId, 'ACTIVE');
      const commitHash = randomBytes(20).toString('hex');
      const body = { sessionId, commitHash, filesChanged: 1, messageNumber: null, description: 'fault' };
      const spy = failQueueing(1);
      try {
        expect((await internalPost(gateway, '/api/internal/git-checkpoints', body)).status).toBe(500);
        const { rows } = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM git_checkpoints WHERE session_id = $1', [sessionId]);
        expect(rows[0].n).toBe(0);
        expect(await queuedFor(hook.id, 'checkpoint.created', commitHash)).toBe(0);
        expect((await internalPost(gateway, '/api/internal/git-checkpoints', body)).status).toBe(201);
      } finally {
        spy.mockRestore();
      }
      expect(await queuedFor(hook.id, 'checkpoint.created', commitHash)).toBe(1);
    });

    it("should finish a run and queue its run.completed together, or leave it RUNNING for the worker's retry", async () => {
      const user = await gateway.newUser();
      const r = await receiver();
      const hook = await createWebhook(user.key, r.url, ['run.*']);
      const sessionId = await gateway.insertSession(user.userId, 'ACTIVE');
      const runId = randomUUID();
      await gateway.db.query(`INSERT INTO runs (id, session_id, owner_id, pipeline, steps) VALUES ($1, $2, $3, 'custom', '[]')`, [runId, sessionId, user.userId]);
      expect((await internalPost(gateway, `/api/internal/runs/${runId}/claim`, {})).status).toBe(200);
      const spy = failQueueing(1);
      try {
        expect((await internalPost(gateway, `/api/internal/runs/${runId}/finish`, { attempt: 1, status: 'SUCCEEDED' })).status).toBe(500);
        const { rows } = await gateway.db.query<{ status: string; last_seq: number }>('SELECT status, last_seq FROM runs WHERE id = $1', [runId]);
        expect(rows[0]).toEqual({ status: 'RUNNING', last_seq: 0 });
        expect(await queuedFor(hook.id, 'run.completed', runId)).toBe(0);
        expect((await internalPost(gateway, `/api/internal/runs/${runId}/finish`, { attempt: 1, status: 'SUCCEEDED' })).status).toBe(200);
      } finally {
        spy.mockRestore();
      }
      expect(await queuedFor(hook.id, 'run.completed', runId)).toBe(1);
      const { rows } = await gateway.db.query<{ type: string }>('SELECT type FROM run_events WHERE run_id = $1', [runId]);
      expect(rows).toEqual([{ type: 'COMPLETE' }]);
    });
  });

  it('should leave deliveries it cannot sign (secret sealed under a key it does not hold) to gateways that hold that key', async () => {
    const user = await gateway.newUser();
    const r = await receiver();
    // A webhook of a deployment with another internal key, sharing this database: due before ours.
    const foreign = new SecretSealer('another-internal-key-0123456789', 'webhook-signing-secrets').seal('whsec_AAAA');
    const { rows } = await gateway.db.query<{ id: string }>('INSERT INTO webhooks (id, owner_id, url, events, secret_sealed) VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING id', [user.userId, r.url, ['*'], foreign]);
    const { rows: queued } = await gateway.db.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_type, body, next_attempt_at) VALUES (gen_random_uuid(), $1, 'session.started', '{}', now() - interval '1 minute') RETURNING id`,
      [rows[0].id],
    );
    const ours = await createWebhook(user.key, r.url, ['session.started']);
    await startedSession(gateway, user.userId);
    // Ours was taken by a claim that saw both rows due; the foreign one was skipped, not failed.
    await eventually(() => deliveries(user.key, ours.id), (list) => list[0]?.status === 'DELIVERED');
    const { rows: left } = await gateway.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM webhook_deliveries WHERE id = $1', [queued[0].id]);
    expect(left[0]).toEqual({ status: 'PENDING', attempts: 0 });
    await gateway.db.query('DELETE FROM webhooks WHERE id = $1', [rows[0].id]);
  });

  it("should keep webhooks, their deliveries and other owners' events apart", async () => {
    const alice = await gateway.newUser();
    const bob = await gateway.newUser();
    const r = await receiver();
    const alices = await createWebhook(alice.key, r.url, ['session.*']);
    const bobs = await createWebhook(bob.key, r.url, ['*']);

    await startedSession(gateway, alice.userId);
    expect(await deliveries(bob.key, bobs.id)).toEqual([]);
    expect((await deliveries(alice.key, alices.id)).map((d) => d.eventType)).toEqual(['session.started']);

    expect((await gql(gateway, bob.key, '{ webhooks { id } }')).data?.webhooks).toEqual([{ id: bobs.id }]);
    const foreignDeliveries = await gql(gateway, bob.key, DELIVERIES, { id: alices.id });
    expect(foreignDeliveries.errors?.[0]).toMatchObject({ message: `Webhook ${alices.id} not found`, extensions: { code: 'NOT_FOUND' } });
    const foreignDelete = await gql(gateway, bob.key, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id: alices.id });
    expect(foreignDelete.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await gql(gateway, alice.key, '{ webhooks { id url events } }')).data?.webhooks).toEqual([{ id: alices.id, url: r.url, events: ['session.*'] }]);

    expect((await gql(gateway, alice.key, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id: alices.id })).data?.deleteWebhook).toBe(true);
    expect((await gql(gateway, alice.key, '{ webhooks { id } }')).data?.webhooks).toEqual([]);
    expect((await gql(gateway, null, '{ webhooks { id } }')).status).toBe(401);
  });

  describe('targets', () => {
    let strict: TestGateway;
    let key: string;

    beforeAll(async () => {
      strict = await startGateway({ ...FAST, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
      key = (await strict.newUser()).key;
    });

    afterAll(async () => {
      await strict?.close();
    });

    it.each([
      ['http://127.0.0.1:8080/hook', '127.0.0.1'],
      ['http://10.1.2.3/hook', '10.1.2.3'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['http://100.64.0.7/', '100.64.0.7'],
      ['http://[::1]:4000/', '::1'],
      ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://localhost:4000/hook', 'localhost'],
    ])('should refuse %s (BAD_REQUEST) without WEBHOOK_ALLOW_PRIVATE_TARGETS', async (url, host) => {
      const res = await gql(strict, key, CREATE, { url, events: ['session.*'] });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(res.errors?.[0]?.message).toContain(`Webhook URL host ${host} resolves to`);
      expect(res.errors?.[0]?.message).toContain('WEBHOOK_ALLOW_PRIVATE_TARGETS=true');
    });

    it.each([
      ['an ftp URL', { url: 'ftp://example.com/x', events: ['*'] }, 'Webhook URL must be an absolute http(s) URL without credentials'],
      ['credentials in the URL', { url: 'https://user:pw@example.com/x', events: ['*'] }, 'Webhook URL must be an absolute http(s) URL without credentials'],
      ['not a URL', { url: 'not a url', events: ['*'] }, 'Webhook URL must be an absolute http(s) URL without credentials'],
      ['a URL of 2100 characters', { url: `https://example.com/${'a'.repeat(2100)}`, events: ['*'] }, 'Webhook URL must be at most 2048 characters'],
      ['no events', { url: 'https://example.com/x', events: [] }, 'events must list 1 to 20 event types or patterns'],
      ['an unknown event', { url: 'https://example.com/x', events: ['session.exploded'] }, 'Unknown webhook event "session.exploded"'],
      ['an unknown group', { url: 'https://example.com/x', events: ['nothing.*'] }, 'Unknown webhook event "nothing.*"'],
      ['a host that does not resolve', { url: 'https://no-such-host.invalid/x', events: ['*'] }, 'Webhook URL host no-such-host.invalid does not resolve'],
    ])('should refuse %s (BAD_REQUEST, clear message)', async (_case, input, message) => {
      const res = await gql(strict, key, CREATE, input);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(res.errors?.[0]?.message).toContain(message);
    });

    it('should refuse at delivery time a name that now resolves to a private address, without connecting', async () => {
      const r = await receiver();
      const transport = new WebhookTransportRepository(gatewayConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_TIMEOUT_MS: '2000' }));
      try {
        // `localhost` stands for a public name re-pointed at loopback after the webhook was accepted.
        await expect(transport.post(`http://localhost:${r.port}/hooks`, {}, '{}')).rejects.toThrow(/Webhook URL host localhost resolves to/);
        await expect(transport.post(`http://127.0.0.1:${r.port}/hooks`, {}, '{}')).rejects.toThrow('Webhook URL host 127.0.0.1 resolves to');
        expect(r.received).toHaveLength(0);
        // The same transport allowed private targets reaches the receiver: the refusal above was the check.
        const open = new WebhookTransportRepository(gatewayConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_TIMEOUT_MS: '2000' }));
        await expect(open.post(`http://localhost:${r.port}/hooks`, {}, '{}')).resolves.toMatchObject({ statusCode: 204 });
        await open.onModuleDestroy();
        expect(r.received).toHaveLength(1);
      } finally {
        await transport.onModuleDestroy();
      }
    });

    it('should not follow redirects', async () => {
      const target = await receiver();
      const open = new WebhookTransportRepository(gatewayConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_TIMEOUT_MS: '2000' }));
      try {
        const server = createServer((_req, res) => res.writeHead(307, { location: target.url }).end());
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const port = (server.address() as AddressInfo).port;
        await expect(open.post(`http://127.0.0.1:${port}/`, {}, '{}')).resolves.toMatchObject({ statusCode: 307 });
        await new Promise<void>((resolve) => server.close(() => resolve()));
        expect(target.received).toHaveLength(0);
      } finally {
        await open.onModuleDestroy();
      }
    });
  });
});
