import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { SessionEventsService } from '../src/modules/sessions/session-events.service';
import { SessionsResolver } from '../src/modules/sessions/sessions.resolver';
import { gql, internalPost, startGateway, TestGateway, wsClient } from './support/gateway';

const SESSION = 'query($id: ID!) { session(id: $id) { id status image errorReason } }';

/** Polls PostgreSQL until `predicate` holds (bounded), for effects that happen after a response. */
async function eventually<T>(read: () => Promise<T>, predicate: (value: T) => boolean, attempts = 100): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !predicate(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe(SessionsResolver.name, () => {
  let gateway: TestGateway;
  let alice: { key: string; userId: string };
  let bob: { key: string; userId: string };

  beforeAll(async () => {
    gateway = await startGateway();
    alice = await gateway.newUser();
    bob = await gateway.newUser();
  });

  afterAll(async () => {
    await gateway.close();
  });

  describe('authentication', () => {
    it('should answer 401 UNAUTHENTICATED without a key, with a wrong key and with a malformed header', async () => {
      for (const key of [null, 'sk_not-a-real-key', '']) {
        const res = await gql(gateway, key, '{ sessions { total } }');
        expect(res.status).toBe(401);
        expect(res.data ?? null).toBeNull();
        expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      }
    });

    it('should refuse a key once it is revoked', async () => {
      const carol = await gateway.newUser();
      const keys = await gql(gateway, carol.key, '{ apiKeys { id prefix revokedAt } }');
      expect(keys.data?.apiKeys).toHaveLength(1);
      expect(carol.key.startsWith(keys.data?.apiKeys[0].prefix)).toBe(true);
      const revoked = await gql(gateway, carol.key, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: keys.data?.apiKeys[0].id });
      expect(revoked.data?.revokeApiKey.revokedAt).toEqual(expect.any(String));
      expect((await gql(gateway, carol.key, '{ sessions { total } }')).status).toBe(401);
    });

    it('should store only a hash of each key', async () => {
      const { rows } = await gateway.db.query('SELECT key_hash, prefix FROM api_keys WHERE user_id = $1', [alice.userId]);
      expect(rows).toHaveLength(1);
      expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0].key_hash).not.toContain(alice.key.slice(3));
    });

    it('should ensure the DEV_API_KEY user at boot', async () => {
      const devKey = `sk_devtest_${randomUUID()}`;
      const other = await startGateway({ DEV_API_KEY: devKey });
      try {
        const res = await gql(other, devKey, '{ sessions { total } }');
        expect(res.status).toBe(200);
        expect(res.data?.sessions.total).toEqual(expect.any(Number));
      } finally {
        await other.close();
      }
    });
  });

  describe('isolation between owners', () => {
    it("should show another owner's session as not found everywhere", async () => {
      const id = await gateway.insertSession(alice.userId, 'ACTIVE');
      expect((await gql(gateway, alice.key, SESSION, { id })).data?.session).toMatchObject({ id, status: 'ACTIVE' });
      expect((await gql(gateway, bob.key, SESSION, { id })).data?.session).toBeNull();
      const attempts = [
        ['mutation($id: ID!) { stopSession(id: $id) { id } }', { id }],
        ['mutation($id: ID!) { startSession(id: $id) { id } }', { id }],
        ['mutation($id: ID!) { deleteSession(id: $id) }', { id }],
        ['query($id: ID!) { checkpoints(sessionId: $id) { id } }', { id }],
        ['mutation($id: ID!) { exec(sessionId: $id, input: { command: "id" }) { exitCode } }', { id }],
        ['query($id: ID!) { readFile(sessionId: $id, path: "a.txt") }', { id }],
        ['mutation($id: ID!) { writeFile(sessionId: $id, path: "a.txt", content: "x") }', { id }],
        ['mutation($id: ID!) { registerPreview(sessionId: $id, port: 3000) { url } }', { id }],
        ['query($id: ID!) { previews(sessionId: $id) { url } }', { id }],
        ['mutation($id: ID!) { commitCheckpoint(sessionId: $id) { id } }', { id }],
        ['query($id: ID!) { session(id: $id) { id } }', { id }],
        ['query($id: ID!) { gitStatus(sessionId: $id) { clean } }', { id }],
        ['query($id: ID!) { gitDiff(sessionId: $id, from: "abcd") { diff } }', { id }],
        ['mutation($id: ID!) { restoreCheckpoint(sessionId: $id, commitHash: "abcd") { id } }', { id }],
        ['mutation($id: ID!) { unregisterPreview(sessionId: $id, port: 3000) }', { id }],
        ['mutation($id: ID!) { setPreviewPrivate(sessionId: $id, port: 3000, private: true) { token } }', { id }],
      ] as const;
      for (const [query, variables] of attempts) {
        const res = await gql(gateway, bob.key, query, variables);
        expect(res.errors?.[0]).toMatchObject({ message: `Session ${id} not found`, extensions: { code: 'NOT_FOUND' } });
      }
      expect(await gateway.statusOf(id)).toBe('ACTIVE');
    });

    it("should list only the caller's sessions, filtered and paged", async () => {
      const dave = await gateway.newUser();
      const ids = [await gateway.insertSession(dave.userId, 'ACTIVE'), await gateway.insertSession(dave.userId, 'STOPPED'), await gateway.insertSession(dave.userId, 'ACTIVE')];
      await gateway.insertSession(alice.userId, 'ACTIVE');
      const all = await gql(gateway, dave.key, '{ sessions { total sessions { id } } }');
      expect(all.data?.sessions.total).toBe(3);
      const listed = all.data?.sessions.sessions as { id: string }[];
      expect(listed.map((s) => s.id).sort()).toEqual([...ids].sort());
      const active = await gql(gateway, dave.key, '{ sessions(status: ACTIVE, limit: 1, offset: 1) { total sessions { id status } } }');
      expect(active.data?.sessions.total).toBe(2);
      expect(active.data?.sessions.sessions).toHaveLength(1);
      expect(active.data?.sessions.sessions[0].status).toBe('ACTIVE');
    });
  });

  describe('createSession', () => {
    it('should return PENDING at once and stay PENDING while the manager is unreachable (the outcome is unknown, not a failure)', async () => {
      const res = await gql(gateway, alice.key, 'mutation { createSession(input: { template: "base", env: { FOO: "bar" } }) { id status template image } }');
      // The template could not be checked either: the row records its name, the image stays unknown.
      expect(res.data?.createSession).toMatchObject({ status: 'PENDING', template: 'base', image: null });
      const id: string = res.data?.createSession.id;
      // The manager's port refuses at once; the create has failed well before this.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const { rows } = await gateway.db.query<{ status: string; error_reason: string | null; owner_id: string }>('SELECT status, error_reason, owner_id FROM sessions WHERE id = $1', [id]);
      // Settled later from the manager's own record by the pending sweeper (pending-sessions.int-spec.ts).
      expect(rows[0]).toEqual({ status: 'PENDING', error_reason: null, owner_id: alice.userId });
    });
  });

  describe('bad input', () => {
    const countSessions = async (userId: string): Promise<number> => (await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [userId])).rows[0].n;

    it.each([
      ['a wrong type', 'mutation { createSession(input: { template: 42 }) { id } }', 'BAD_REQUEST', undefined],
      ['an unknown input field', 'mutation { createSession(input: { template: "x", privileged: true }) { id } }', 'BAD_REQUEST', undefined],
      ['a huge image name', `mutation { createSession(input: { image: "${'x'.repeat(300)}" }) { id } }`, 'BAD_REQUEST', undefined],
      ['a huge template name', `mutation { createSession(input: { template: "${'x'.repeat(100_000)}" }) { id } }`, 'BAD_REQUEST', undefined],
      ['an env that is not a string map', 'mutation { createSession(input: { env: { FOO: 1 } }) { id } }', 'BAD_REQUEST', undefined],
      ['an env name that is not a variable name', 'mutation($env: JSON) { createSession(input: { env: $env }) { id } }', 'BAD_REQUEST', { env: { 'A=B': 'x' } }],
      ['an env value that is an object', 'mutation($env: JSON) { createSession(input: { env: $env }) { id } }', 'BAD_REQUEST', { env: { A: { nested: true } } }],
    ])('should reject createSession with %s and insert no row', async (_label: string, query: string, code: string, variables: Record<string, unknown> | undefined) => {
      const erin = await gateway.newUser();
      const res = await gql(gateway, erin.key, query, variables);
      expect(res.errors?.[0].extensions?.code).toBe(code);
      expect(res.data?.createSession ?? null).toBeNull();
      expect(await countSessions(erin.userId)).toBe(0);
    });

    it('should answer a string where a number belongs and an out-of-range number alike: 400 BAD_REQUEST with a readable message', async () => {
      const id = await gateway.insertSession(alice.userId, 'ACTIVE');
      const register = 'mutation($id: ID!, $port: Int!) { registerPreview(sessionId: $id, port: $port) { url } }';
      const answers = {
        'string literal': await gql(gateway, alice.key, `mutation { registerPreview(sessionId: "${id}", port: "abc") { url } }`),
        'string variable': await gql(gateway, alice.key, register, { id, port: 'abc' }),
        'beyond 32 bits': await gql(gateway, alice.key, register, { id, port: 2 ** 40 }),
        'out of range': await gql(gateway, alice.key, register, { id, port: 80 }),
        'limit as a string': await gql(gateway, alice.key, '{ sessions(limit: "ten") { total } }'),
        'limit out of range': await gql(gateway, alice.key, '{ sessions(limit: 100000) { total } }'),
      };
      for (const [mistake, res] of Object.entries(answers)) {
        expect({ mistake, status: res.status, code: res.errors?.[0].extensions?.code }).toEqual({ mistake, status: 400, code: 'BAD_REQUEST' });
        expect(res.errors?.[0].message).toMatch(/Int|[Pp]ort|limit/);
      }
      expect(answers['out of range'].errors?.[0].message).toBe('Port must be an integer between 1024 and 65535');
      expect(answers['string variable'].errors?.[0].message).toContain('Int cannot represent non-integer value: "abc"');
    });

    it('should answer session(id) for an unknown or foreign id with NOT_FOUND, like every other operation', async () => {
      const foreign = await gateway.insertSession(bob.userId, 'ACTIVE');
      for (const id of [foreign, '00000000-0000-4000-8000-000000000000']) {
        const res = await gql(gateway, alice.key, SESSION, { id });
        expect(res.errors?.[0]).toMatchObject({ message: `Session ${id} not found`, extensions: { code: 'NOT_FOUND' } });
        expect(res.data?.session ?? null).toBeNull();
        const stop = await gql(gateway, alice.key, 'mutation($id: ID!) { stopSession(id: $id) { id } }', { id });
        expect(stop.errors?.[0]).toMatchObject({ message: res.errors?.[0].message, extensions: { code: 'NOT_FOUND' } });
      }
    });

    it('should reject a malformed id, a wrong limit and an out-of-range port as BAD_REQUEST', async () => {
      expect((await gql(gateway, alice.key, SESSION, { id: 'nope' })).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
      expect((await gql(gateway, alice.key, '{ sessions(limit: 100000) { total } }')).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
      expect((await gql(gateway, alice.key, '{ sessions(limit: "ten") { total } }')).status).toBe(400);
      const id = await gateway.insertSession(alice.userId, 'ACTIVE');
      const port = await gql(gateway, alice.key, 'mutation($id: ID!) { registerPreview(sessionId: $id, port: 80) { url } }', { id });
      expect(port.errors?.[0]).toMatchObject({ message: 'Port must be an integer between 1024 and 65535', extensions: { code: 'BAD_REQUEST' } });
    });
  });

  describe('GraphQL over HTTP', () => {
    it('should answer GET queries with application/graphql-response+json', async () => {
      const url = `${gateway.url}/graphql?query=${encodeURIComponent('{ sessions { total } }')}`;
      const res = await request(url, { headers: { authorization: `Bearer ${alice.key}`, accept: 'application/graphql-response+json' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('application/graphql-response+json');
      expect(((await res.body.json()) as { data: { sessions: { total: number } } }).data.sessions.total).toEqual(expect.any(Number));
    });

    it('should refuse mutations over GET with 405', async () => {
      const url = `${gateway.url}/graphql?query=${encodeURIComponent('mutation { createSession { id } }')}`;
      const res = await request(url, { headers: { authorization: `Bearer ${alice.key}`, accept: 'application/graphql-response+json' } });
      expect(res.statusCode).toBe(405);
      await res.body.dump();
    });

    it('should answer a syntax error with 400', async () => {
      const res = await gql(gateway, alice.key, '{ sessions { total ');
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/graphql-response+json');
    });
  });

  describe('rate limiting', () => {
    it('should answer 429 RATE_LIMITED beyond the per-key limit, and count each key separately', async () => {
      const limited = await startGateway({ THROTTLE_LIMIT: '3', THROTTLE_TTL_MS: '60000' });
      try {
        const one = await limited.newUser();
        const two = await limited.newUser();
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await gql(limited, one.key, '{ sessions { total } }')).status);
        expect(statuses).toEqual([200, 200, 200, 429, 429]);
        const over = await gql(limited, one.key, '{ sessions { total } }');
        expect(over.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
        expect((await gql(limited, two.key, '{ sessions { total } }')).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('sessionEvents subscription', () => {
    it('should begin with a snapshot, then deliver status changes and new checkpoints of an own session', async () => {
      const id = await gateway.insertSession(alice.userId);
      const client = wsClient(gateway, alice.key);
      const events: Record<string, unknown>[] = [];
      const bus = gateway.app.get(SessionEventsService);
      try {
        const done = new Promise<void>((resolve, reject) => {
          const unsubscribe = client.subscribe<{ sessionEvents: Record<string, unknown> }>(
            { query: 'subscription($id: ID!) { sessionEvents(sessionId: $id) { type sessionId status checkpoint { commitHash } } }', variables: { id } },
            {
              next: (value) => {
                if (value.errors) reject(new Error(JSON.stringify(value.errors)));
                events.push(value.data!.sessionEvents);
                if (events.length === 3) {
                  unsubscribe();
                  resolve();
                }
              },
              error: reject,
              complete: () => undefined,
            },
          );
        });
        // The subscription is live once the server holds a listener for the session.
        expect(await eventually(async () => bus.listenerCount(id), (n) => n === 1)).toBe(1);
        await internalPost(gateway, `/api/internal/sessions/${id}/start`);
        const commitHash = 'a'.repeat(40);
        await internalPost(gateway, '/api/internal/git-checkpoints', { sessionId: id, commitHash, filesChanged: 1, messageNumber: null, description: null });
        await done;
        expect(events).toEqual([
          { type: 'SNAPSHOT', sessionId: id, status: 'PENDING', checkpoint: null },
          { type: 'STATUS_CHANGED', sessionId: id, status: 'ACTIVE', checkpoint: null },
          { type: 'CHECKPOINT_CREATED', sessionId: id, status: null, checkpoint: { commitHash } },
        ]);
        expect(await eventually(async () => bus.listenerCount(id), (n) => n === 0)).toBe(0);
      } finally {
        await client.dispose();
      }
    });

    it("should refuse a connection without a valid key, and another owner's session", async () => {
      const id = await gateway.insertSession(alice.userId);
      for (const [key, expected] of [
        [null, /4403|Forbidden/],
        [bob.key, new RegExp(`Session ${id} not found`)],
      ] as const) {
        const client = wsClient(gateway, key);
        try {
          const outcome = await new Promise<string>((resolve) => {
            client.subscribe(
              { query: 'subscription($id: ID!) { sessionEvents(sessionId: $id) { type } }', variables: { id } },
              {
                next: (value) => resolve(JSON.stringify(value.errors ?? value.data)),
                error: (error) => resolve(error instanceof Error ? error.message : JSON.stringify(error) + String((error as { code?: number }).code ?? '')),
                complete: () => resolve('complete'),
              },
            );
          });
          expect(outcome).toMatch(expected);
        } finally {
          await client.dispose();
        }
      }
    });
  });

  describe('health', () => {
    it('should answer 503 naming the unreachable services while the database is up', async () => {
      const res = await request(`${gateway.url}/health`);
      expect(res.statusCode).toBe(503);
      const body = (await res.body.json()) as { details: Record<string, { status: string }> };
      expect(body.details.database.status).toBe('up');
      expect(body.details.containerManager.status).toBe('down');
      expect(body.details.worker.status).toBe('down');
    });
  });
});
