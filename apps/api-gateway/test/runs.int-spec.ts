import { request } from 'undici';
import { SecretSealer } from '@sandbox/shared';
import { RunEventStream } from '../src/modules/runs/run-event-stream';
import { RunsRepository } from '../src/modules/runs/runs.repository';
import { RunsResolver } from '../src/modules/runs/runs.resolver';
import { gql, internalPost, startGateway, TestGateway } from './support/gateway';

interface SseMessage {
  id: string | null;
  data: { seq: number; type: string; message: string; data: unknown; runId: string };
}

/** Opens GET /api/runs/:id/events; `messages()` yields each `id:` + `data:` message until the stream ends. */
async function openEvents(gateway: TestGateway, key: string | null, runId: string, headers: Record<string, string> = {}) {
  const res = await request(`${gateway.url}/api/runs/${runId}/events`, {
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
    bodyTimeout: 30_000,
  });
  async function* messages(): AsyncGenerator<SseMessage> {
    let buffer = '';
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        yield { id: lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null, data: JSON.parse(data) as SseMessage['data'] };
      }
    }
  }
  return { status: res.statusCode, contentType: String(res.headers['content-type']), res, messages };
}

async function collect(stream: AsyncGenerator<SseMessage>): Promise<SseMessage[]> {
  const all: SseMessage[] = [];
  for await (const message of stream) all.push(message);
  return all;
}

const RUN_FIELDS = 'id sessionId pipeline status parentRunId input result error attempt lastSeq';

/**
 * The runs surface of the gateway (docs/runs.md) against the real PostgreSQL: GraphQL rules and
 * messages, per-owner isolation, the worker's internal routes (played here by the test: claim,
 * event batches, finish, fenced by attempt) and the SSE stream (replay, live, Last-Event-ID).
 * No worker runs: tasks cannot be created, so runs stay QUEUED until the test claims them.
 */
describe(RunsResolver.name, () => {
  let gateway: TestGateway;
  let alice: { key: string; userId: string };
  let bob: { key: string; userId: string };

  beforeAll(async () => {
    // A small watcher buffer, so a watcher that stops reading is detached from its run's shared reader at once.
    gateway = await startGateway({ RUN_EVENT_POLL_MS: '200', RUN_EVENT_WATCHER_BUFFER: '4', MCP_ALLOW_PRIVATE_TARGETS: 'false' });
    alice = await gateway.newUser();
    bob = await gateway.newUser();
  });

  afterAll(async () => {
    // Their sessions and runs go with them: no QUEUED run of this file is left for another test's worker.
    await gateway?.db.query('DELETE FROM users WHERE id = ANY($1::uuid[])', [[alice?.userId, bob?.userId].filter(Boolean)]);
    await gateway?.close();
  });

  const initRun = (key: string, input: Record<string, unknown>) =>
    gql(gateway, key, `mutation($input: InitRunInput!) { initRun(input: $input) { session { id status repoUrl repoName template } run { ${RUN_FIELDS} } } }`, { input });
  const startRun = (key: string, sessionId: string, pipeline: string, input?: unknown) =>
    gql(gateway, key, `mutation($s: ID!, $p: String!, $i: JSON) { startRun(sessionId: $s, pipeline: $p, input: $i) { ${RUN_FIELDS} } }`, { s: sessionId, p: pipeline, i: input });
  const submit = (key: string, sessionId: string, input: string, runId?: string) =>
    gql(gateway, key, `mutation($s: ID!, $r: ID, $i: String!) { submitRunInput(sessionId: $s, runId: $r, input: $i) { ${RUN_FIELDS} } }`, { s: sessionId, r: runId, i: input });
  const cancel = (key: string, runId: string) => gql(gateway, key, `mutation($r: ID!) { cancelRun(runId: $r) { ${RUN_FIELDS} } }`, { r: runId });
  const getRun = (key: string, id: string) => gql(gateway, key, `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id });

  /** A session of `alice` with a QUEUED bootstrap run. */
  async function newRun(key = alice.key, repoUrl = 'https://git.example.com/acme/widgets.git'): Promise<{ sessionId: string; runId: string }> {
    const res = await initRun(key, { repoUrl });
    expect(res.errors).toBeUndefined();
    return { sessionId: res.data?.initRun.session.id, runId: res.data?.initRun.run.id };
  }

  const claim = (runId: string) => internalPost(gateway, `/api/internal/runs/${runId}/claim`, {});
  const events = (runId: string, attempt: number, n: number, list: { type: string; message: string; data?: unknown }[]) =>
    internalPost(gateway, `/api/internal/runs/${runId}/events`, { attempt, n, events: list });
  const finish = (runId: string, body: Record<string, unknown>) => internalPost(gateway, `/api/internal/runs/${runId}/finish`, body);

  describe('initRun', () => {
    it('should create the session with the repository and a QUEUED bootstrap run', async () => {
      const res = await initRun(alice.key, { repoUrl: 'https://git.example.com/acme/widgets.git', ref: 'release/1.2' });
      expect(res.errors).toBeUndefined();
      expect(res.data?.initRun.session).toMatchObject({ status: 'PENDING', repoUrl: 'https://git.example.com/acme/widgets.git', repoName: 'widgets', template: 'dev' });
      expect(res.data?.initRun.run).toMatchObject({
        sessionId: res.data?.initRun.session.id,
        pipeline: 'bootstrap',
        status: 'QUEUED',
        parentRunId: null,
        input: { repoUrl: 'https://git.example.com/acme/widgets.git', ref: 'release/1.2' },
        attempt: 0,
        lastSeq: 0,
      });
    });

    it.each([
      ['git@github.com:acme/tools.git', 'tools'],
      ['ssh://git@git.example.com:2222/acme/api.git', 'api'],
      ['http://10.0.0.5/repos/plain', 'plain'],
    ])('should accept %s and name it %s', async (repoUrl, name) => {
      const res = await initRun(alice.key, { repoUrl });
      expect(res.errors).toBeUndefined();
      expect(res.data?.initRun.session.repoName).toBe(name);
    });

    it.each([
      'file:///etc',
      '/tmp/x',
      './repo',
      '--upload-pack=touch /tmp/pwned',
      'ext::sh -c touch% /tmp/pwned',
      'git@host:-oProxyCommand=touch /tmp/pwned',
      'ftp://example.com/x.git',
      'https://-evil.example.com/x.git',
      'https://example.com/',
    ])('should refuse %s with 400 Unsupported repository URL and create nothing', async (repoUrl) => {
      const before = await gateway.db.query('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [alice.userId]);
      const res = await initRun(alice.key, { repoUrl });
      expect(res.errors?.[0]).toMatchObject({ message: `Unsupported repository URL: ${repoUrl}`, extensions: { code: 'BAD_REQUEST' } });
      const after = await gateway.db.query('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [alice.userId]);
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it('should refuse credentials in the URL without repeating them', async () => {
      const res = await initRun(alice.key, { repoUrl: 'https://user:s3cr3t-pw@git.example.com/acme/x.git' });
      expect(res.errors?.[0]).toMatchObject({ message: 'Repository URL must not contain credentials; pass the token separately', extensions: { code: 'BAD_REQUEST' } });
      expect(JSON.stringify(res)).not.toContain('s3cr3t-pw');
    });

    it('should refuse an option-like ref and an unknown pipeline', async () => {
      expect((await initRun(alice.key, { repoUrl: 'https://git.example.com/a/b.git', ref: '--upload-pack=x' })).errors?.[0].message).toBe('Unsupported ref: --upload-pack=x');
      expect((await initRun(alice.key, { repoUrl: 'https://git.example.com/a/b.git', pipeline: 'nope' })).errors?.[0]).toMatchObject({
        message: 'Unknown pipeline nope; known: bootstrap, plan, test',
        extensions: { code: 'BAD_REQUEST' },
      });
    });

    it('should keep the token only sealed, out of the run and its input, and hand it to the claiming worker', async () => {
      const token = 'ghp_TESTTOKEN_0123456789abcdef';
      const res = await initRun(alice.key, { repoUrl: 'https://git.example.com/acme/private.git', token });
      expect(res.errors).toBeUndefined();
      const runId = res.data?.initRun.run.id as string;
      expect(JSON.stringify(res)).not.toContain(token);
      const { rows } = await gateway.db.query('SELECT row_to_json(r)::text AS row FROM runs r WHERE id = $1', [runId]);
      expect(rows[0].row).not.toContain(token);
      expect(rows[0].row).toContain('token_sealed');
      // Sealed like every other secret the platform reads back (SecretSealer, purpose repository-tokens).
      const sealed = await gateway.db.query('SELECT token_sealed FROM runs WHERE id = $1', [runId]);
      expect(new SecretSealer(gateway.internalKey, 'repository-tokens').open(sealed.rows[0].token_sealed as string)).toBe(token);
      const claimed = await claim(runId);
      expect(claimed).toMatchObject({ status: 200, body: { runId, attempt: 1, token, repoName: 'private', repoUrl: 'https://git.example.com/acme/private.git' } });
      expect((await internalPost(gateway, `/api/internal/runs/${runId}/state`, { attempt: 1, dropToken: true })).status).toBe(200);
      expect((await claim(runId)).body).toMatchObject({ attempt: 2, token: null });
      const after = await gateway.db.query('SELECT token_sealed FROM runs WHERE id = $1', [runId]);
      expect(after.rows[0].token_sealed).toBeNull();
    });
  });

  describe('one active run per session', () => {
    it('should answer 409 CONFLICT naming the active run, then allow a new run once it finished', async () => {
      const { sessionId, runId } = await newRun();
      const second = await startRun(alice.key, sessionId, 'test');
      expect(second.errors?.[0]).toMatchObject({ message: `Session ${sessionId} already has an active run ${runId}`, extensions: { code: 'CONFLICT' } });
      const concurrent = await Promise.all([1, 2, 3].map(() => startRun(alice.key, sessionId, 'test')));
      expect(concurrent.every((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toBe(true);
      expect((await cancel(alice.key, runId)).data?.cancelRun.status).toBe('CANCELLED');
      const third = await startRun(alice.key, sessionId, 'test', { command: 'make check' });
      expect(third.errors).toBeUndefined();
      expect(third.data?.startRun).toMatchObject({ pipeline: 'test', status: 'QUEUED', input: { command: 'make check' } });
    });

    it('should let only one of many simultaneous starts on an idle session win', async () => {
      const { sessionId, runId } = await newRun();
      await cancel(alice.key, runId);
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => startRun(alice.key, sessionId, 'test')));
      expect(results.filter((r) => !r.errors)).toHaveLength(1);
      expect(results.filter((r) => r.errors?.[0].extensions?.code === 'CONFLICT')).toHaveLength(4);
    });
  });

  describe('isolation', () => {
    it("should treat another owner's run as not found everywhere", async () => {
      const { sessionId, runId } = await newRun();
      expect((await getRun(bob.key, runId)).data?.run).toBeNull();
      expect((await cancel(bob.key, runId)).errors?.[0]).toMatchObject({ message: `Run ${runId} not found`, extensions: { code: 'NOT_FOUND' } });
      expect((await gql(gateway, bob.key, 'mutation($r: ID!) { revertRun(runId: $r) { id } }', { r: runId })).errors?.[0].message).toBe(`Run ${runId} not found`);
      expect((await startRun(bob.key, sessionId, 'test')).errors?.[0].message).toBe(`Session ${sessionId} not found`);
      expect((await submit(bob.key, sessionId, 'hello')).errors?.[0].message).toBe(`Session ${sessionId} not found`);
      expect((await gql(gateway, bob.key, 'query($s: ID!) { runs(sessionId: $s) { total } }', { s: sessionId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
      const sse = await openEvents(gateway, bob.key, runId);
      expect(sse.status).toBe(404);
      expect(JSON.parse(await sse.res.body.text())).toMatchObject({ statusCode: 404, message: `Run ${runId} not found` });
      const unknown = await openEvents(gateway, alice.key, '00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(404);
      await unknown.res.body.dump();
      const noKey = await openEvents(gateway, null, runId);
      expect(noKey.status).toBe(401);
      await noKey.res.body.dump();
    });

    it('should refuse to create run.execute tasks directly', async () => {
      const res = await gql(gateway, alice.key, 'mutation { createTask(input: { type: "run.execute", payload: { runId: "x" } }) { id } }');
      expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('events', () => {
    it('should number events 1..n without gaps, store a repeated batch once and refuse a stale attempt', async () => {
      const { runId } = await newRun();
      expect((await claim(runId)).body).toMatchObject({ attempt: 1, steps: [{ kind: 'clone' }, { kind: 'install' }, { kind: 'checkpoint', description: 'Imported {repoName}' }] });
      expect(await events(runId, 1, 1, [{ type: 'STEP', message: 'clone' }, { type: 'LOG', message: 'a' }])).toMatchObject({ status: 200, body: { lastSeq: 2, duplicate: false } });
      expect(await events(runId, 1, 1, [{ type: 'STEP', message: 'clone' }, { type: 'LOG', message: 'a' }])).toMatchObject({ status: 200, body: { lastSeq: 2, duplicate: true } });
      expect((await claim(runId)).body).toMatchObject({ attempt: 2 });
      const stale = await events(runId, 1, 2, [{ type: 'LOG', message: 'late' }]);
      expect(stale).toMatchObject({ status: 409, body: { message: `Run ${runId} attempt 1 is stale (current attempt 2)` } });
      expect(await events(runId, 2, 1, [{ type: 'LOG', message: 'b' }])).toMatchObject({ status: 200, body: { lastSeq: 3 } });
      expect((await events(runId, 2, 2, [{ type: 'COMPLETE', message: 'forged' }])).status).toBe(400);
      expect((await finish(runId, { attempt: 1, status: 'SUCCEEDED' })).status).toBe(409);
      expect(await finish(runId, { attempt: 2, status: 'SUCCEEDED', result: { ok: true } })).toMatchObject({ status: 200, body: { status: 'SUCCEEDED', lastSeq: 4 } });
      expect((await events(runId, 2, 3, [{ type: 'LOG', message: 'after the end' }])).status).toBe(409);
      expect((await finish(runId, { attempt: 2, status: 'FAILED', error: 'again' })).status).toBe(409);
      const { rows } = await gateway.db.query('SELECT seq, type, message FROM run_events WHERE run_id = $1 ORDER BY seq', [runId]);
      expect(rows).toEqual([
        { seq: 1, type: 'STEP', message: 'clone' },
        { seq: 2, type: 'LOG', message: 'a' },
        { seq: 3, type: 'LOG', message: 'b' },
        { seq: 4, type: 'COMPLETE', message: 'Run succeeded' },
      ]);
      expect((await getRun(alice.key, runId)).data?.run).toMatchObject({ status: 'SUCCEEDED', result: { ok: true }, attempt: 2, lastSeq: 4 });
    });

    it('should replay then stream live over SSE, end after the terminal event, and resume after Last-Event-ID', async () => {
      const { runId } = await newRun();
      await claim(runId);
      await events(runId, 1, 1, [{ type: 'STEP', message: 'one' }, { type: 'LOG', message: 'two' }]);
      const watcher = await openEvents(gateway, alice.key, runId);
      expect(watcher.status).toBe(200);
      expect(watcher.contentType).toContain('text/event-stream');
      const received = collect(watcher.messages());
      for (let n = 2; n <= 6; n++) await events(runId, 1, n, [{ type: 'LOG', message: `live ${n}` }]);
      await finish(runId, { attempt: 1, status: 'FAILED', error: 'boom' });
      const all = await received;
      expect(all.map((m) => m.data.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(all.map((m) => m.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
      expect(all.at(-1)?.data).toMatchObject({ type: 'ERROR', message: 'boom', runId });
      expect(all.filter((m) => ['COMPLETE', 'ERROR'].includes(m.data.type))).toHaveLength(1);

      const resumed = await openEvents(gateway, alice.key, runId, { 'last-event-id': '5' });
      expect((await collect(resumed.messages())).map((m) => m.data.seq)).toEqual([6, 7, 8]);
      const late = await gql(gateway, alice.key, `query($id: ID!) { run(id: $id) { status error lastSeq } }`, { id: runId });
      expect(late.data?.run).toEqual({ status: 'FAILED', error: 'boom', lastSeq: 8 });
    });

    it('should give every one of several concurrent watchers every event once, in order', async () => {
      const { runId } = await newRun();
      await claim(runId);
      const watchers = await Promise.all([0, 0, 3].map((after) => openEvents(gateway, alice.key, runId, after ? { 'last-event-id': String(after) } : {})));
      const results = watchers.map((w) => collect(w.messages()));
      // A worker sends its batches one after the other (batch n is stored once: a lower n after it is a repeat).
      for (let n = 1; n <= 10; n++) await events(runId, 1, n, [{ type: 'LOG', message: `m${n}` }, { type: 'PROGRESS', message: `p${n}` }]);
      await finish(runId, { attempt: 1, status: 'SUCCEEDED' });
      const [a, b, c] = await Promise.all(results);
      const all = Array.from({ length: 21 }, (_, i) => i + 1);
      expect(a.map((m) => m.data.seq)).toEqual(all);
      expect(b.map((m) => m.data.seq)).toEqual(all);
      expect(c.map((m) => m.data.seq)).toEqual(all.slice(3));
    });

    it('should give many live watchers every event once, in order, with one shared read per batch: one joining late, one slow', async () => {
      const { runId } = await newRun();
      await claim(runId);
      const reads = jest.spyOn(gateway.app.get(RunsRepository), 'eventsAfter');
      try {
        const early = await Promise.all(Array.from({ length: 12 }, () => openEvents(gateway, alice.key, runId)));
        const received = early.map((w) => collect(w.messages()));
        // The slow watcher takes the first events (the second from the shared reader), then nothing until the run is over.
        const abort = new AbortController();
        const slow = gateway.app.get(RunEventStream).follow(runId, 0, abort.signal);
        const slowSeen: number[] = [];
        await events(runId, 1, 1, [{ type: 'STEP', message: 'one' }]);
        const first = await slow.next();
        if (!first.done) slowSeen.push(first.value.seq);
        const second = slow.next();
        await events(runId, 1, 2, [{ type: 'LOG', message: 'two' }]);
        const taken = await second;
        if (!taken.done) slowSeen.push(taken.value.seq);
        const before = reads.mock.calls.length;
        let seq = 2;
        const late: ReturnType<typeof collect>[] = [];
        for (let n = 3; n <= 32; n++) {
          const batch = Array.from({ length: 1 + (n % 3) }, (_, i) => ({ type: 'LOG', message: `batch ${n} line ${i}` }));
          expect((await events(runId, 1, n, batch)).status).toBe(200);
          seq += batch.length;
          if (n === 15) {
            late.push(collect((await openEvents(gateway, alice.key, runId)).messages()));
            late.push(collect((await openEvents(gateway, alice.key, runId, { 'last-event-id': '5' })).messages()));
          }
        }
        await finish(runId, { attempt: 1, status: 'SUCCEEDED' });
        const total = seq + 1;
        const all = Array.from({ length: total }, (_, i) => i + 1);
        for (const watcher of await Promise.all(received)) expect(watcher.map((m) => m.data.seq)).toEqual(all);
        const [lateFromStart, lateFromFive] = await Promise.all(late);
        expect(lateFromStart.map((m) => m.data.seq)).toEqual(all);
        expect(lateFromFive.map((m) => m.data.seq)).toEqual(all.slice(5));
        const liveReads = reads.mock.calls.length - before;
        for await (const event of slow) slowSeen.push(event.seq);
        expect(slowSeen).toEqual(all);
        expect(lateFromStart.at(-1)?.data).toMatchObject({ type: 'COMPLETE' });
        // One read per watcher per batch would be 12 × 31; the caught-up watchers share theirs.
        expect(liveReads).toBeLessThan(31 * 4);
      } finally {
        reads.mockRestore();
      }
    });
  });

  describe('input and cancel', () => {
    it('should wait for input, resume the same run with the answer, and refuse another run id', async () => {
      const { sessionId, runId } = await newRun();
      await claim(runId);
      const state = { stepIndex: 1, outputs: { clone: { commit: 'abc' } } };
      expect(await finish(runId, { attempt: 1, status: 'AWAITING_INPUT', question: 'Deploy now?', state })).toMatchObject({ status: 200, body: { status: 'AWAITING_INPUT' } });
      expect((await submit(alice.key, sessionId, '   ')).errors?.[0]).toMatchObject({ message: 'Input must not be empty', extensions: { code: 'BAD_REQUEST' } });
      const other = '11111111-1111-4111-8111-111111111111';
      expect((await submit(alice.key, sessionId, 'yes', other)).errors?.[0]).toMatchObject({ message: `Run ${other} is not the active run of session ${sessionId}`, extensions: { code: 'CONFLICT' } });
      const answered = await submit(alice.key, sessionId, 'yes', runId);
      expect(answered.errors).toBeUndefined();
      expect(answered.data?.submitRunInput).toMatchObject({ id: runId, status: 'QUEUED' });
      const resumed = await claim(runId);
      expect(resumed.body).toMatchObject({ attempt: 2, state: { stepIndex: 1, outputs: { clone: { commit: 'abc' } }, answer: 'yes' } });
      const { rows } = await gateway.db.query('SELECT type, message FROM run_events WHERE run_id = $1 ORDER BY seq', [runId]);
      expect(rows).toEqual([
        { type: 'INPUT_REQUIRED', message: 'Deploy now?' },
        { type: 'LOG', message: 'Input received; the run resumes' },
      ]);
    });

    it('should continue a finished conversation with a plan run whose parent is the latest run', async () => {
      const { sessionId, runId } = await newRun();
      await claim(runId);
      await finish(runId, { attempt: 1, status: 'SUCCEEDED' });
      const next = await submit(alice.key, sessionId, 'Add a README');
      expect(next.data?.submitRunInput).toMatchObject({ pipeline: 'plan', status: 'QUEUED', parentRunId: runId, input: 'Add a README' });
      const again = await submit(alice.key, sessionId, 'and tests');
      expect(again.errors?.[0]).toMatchObject({ message: `Session ${sessionId} already has an active run ${next.data?.submitRunInput.id}`, extensions: { code: 'CONFLICT' } });
      expect((await submit(alice.key, sessionId, 'x', runId)).errors?.[0].message).toBe(`Run ${runId} is not the active run of session ${sessionId}`);
    });

    it("should start a continuation from the session's latest conversation, bounded, with the input as the next user message", async () => {
      const { sessionId, runId } = await newRun();
      await claim(runId);
      await finish(runId, { attempt: 1, status: 'SUCCEEDED' });
      // No conversation yet: a fresh one.
      const fresh = await submit(alice.key, sessionId, 'Add a README');
      const freshId = fresh.data?.submitRunInput.id as string;
      expect((await claim(freshId)).body?.state).toEqual({ stepIndex: 0, outputs: {} });
      const big = 'x'.repeat(150_000);
      const conversation = [
        { role: 'system', content: 'You are an agent.' },
        { role: 'user', content: `old turn ${big}` },
        { role: 'assistant', content: 'old answer' },
        { role: 'user', content: `middle turn ${big}` },
        { role: 'assistant', content: 'middle answer' },
        { role: 'user', content: 'Add a README' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'write_file', arguments: '{"path":"README.md","content":"hi"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'written' },
        { role: 'assistant', content: 'Added README.md.' },
      ];
      await finish(freshId, { attempt: 1, status: 'SUCCEEDED', state: { stepIndex: 1, outputs: {}, transcript: null, conversation } });
      // A run without a conversation in between does not lose it.
      const tests = await startRun(alice.key, sessionId, 'test');
      await claim(tests.data?.startRun.id as string);
      await finish(tests.data?.startRun.id as string, { attempt: 1, status: 'SUCCEEDED' });

      const next = await submit(alice.key, sessionId, 'now add tests');
      expect(next.data?.submitRunInput).toMatchObject({ pipeline: 'plan', parentRunId: tests.data?.startRun.id, input: 'now add tests' });
      const claimed = await claim(next.data?.submitRunInput.id as string);
      // The oldest turn is dropped to stay within 256 KiB; the system prompt and whole later turns stay.
      expect(claimed.body?.state).toEqual({ stepIndex: 0, outputs: {}, transcript: [conversation[0], ...conversation.slice(3)], answer: 'now add tests' });

      // A conversation left on a question (the run was cancelled while waiting) is carried too: the input answers it.
      const asking = [...conversation.slice(5), { role: 'assistant', content: null, tool_calls: [{ id: 'q1', type: 'function', function: { name: 'ask_user', arguments: '{"question":"Which framework?"}' } }] }];
      await finish(next.data?.submitRunInput.id as string, { attempt: 1, status: 'AWAITING_INPUT', question: 'Which framework?', state: { stepIndex: 0, outputs: {}, transcript: asking } });
      await cancel(alice.key, next.data?.submitRunInput.id as string);
      const after = await submit(alice.key, sessionId, 'jest');
      expect((await claim(after.data?.submitRunInput.id as string)).body?.state).toEqual({ stepIndex: 0, outputs: {}, transcript: asking, answer: 'jest' });
    });

    it('should cancel with one terminal ERROR event and refuse the worker afterwards', async () => {
      const { runId } = await newRun();
      await claim(runId);
      await events(runId, 1, 1, [{ type: 'STEP', message: 'clone' }]);
      const cancelled = await cancel(alice.key, runId);
      expect(cancelled.data?.cancelRun).toMatchObject({ status: 'CANCELLED', error: 'Run cancelled' });
      expect((await cancel(alice.key, runId)).data?.cancelRun.status).toBe('CANCELLED');
      expect((await events(runId, 1, 2, [{ type: 'LOG', message: 'late' }])).body).toMatchObject({ message: `Run ${runId} is CANCELLED` });
      expect((await finish(runId, { attempt: 1, status: 'SUCCEEDED' })).status).toBe(409);
      expect((await claim(runId)).status).toBe(409);
      const all = await collect((await openEvents(gateway, alice.key, runId)).messages());
      expect(all.map((m) => [m.data.type, m.data.message])).toEqual([
        ['STEP', 'clone'],
        ['ERROR', 'Run cancelled'],
      ]);
    });
  });

  describe('pipelines', () => {
    it('should register a valid pipeline per owner and list it after the built-in ones', async () => {
      const steps = [{ kind: 'exec', command: 'echo hi', timeoutMs: 5000 }, { kind: 'input', prompt: 'Go on?' }, { kind: 'checkpoint', description: 'done' }];
      const res = await gql(gateway, alice.key, 'mutation($i: RegisterPipelineInput!) { registerPipeline(input: $i) { name builtIn steps } }', { i: { name: 'deploy', steps } });
      expect(res.data?.registerPipeline).toEqual({ name: 'deploy', builtIn: false, steps });
      const mine = await gql(gateway, alice.key, '{ pipelines { name builtIn } }');
      expect(mine.data?.pipelines).toEqual([
        { name: 'bootstrap', builtIn: true },
        { name: 'plan', builtIn: true },
        { name: 'test', builtIn: true },
        { name: 'deploy', builtIn: false },
      ]);
      expect((await gql(gateway, bob.key, '{ pipelines { name } }')).data?.pipelines).toHaveLength(3);
      const { sessionId } = await newRun(bob.key);
      expect((await startRun(bob.key, sessionId, 'deploy')).errors?.[0].message).toBe('Unknown pipeline deploy; known: bootstrap, plan, test');
    });

    it.each([
      [[], 'steps must be a non-empty array'],
      [[{ kind: 'shell', command: 'x' }], 'steps[0].kind must be one of exec, checkpoint, agent, input, task'],
      [[{ kind: 'exec' }], 'steps[0].command is required'],
      [[{ kind: 'input', prompt: 'x', extra: 1 }], 'steps[0].extra is not a field of a input step'],
      [[{ kind: 'task', type: 'run.execute' }], 'steps[0].type run.execute cannot run as a pipeline step'],
      [[{ kind: 'task', type: 'sandbox.exec', payload: { sessionId: 'x', command: 'id' } }], 'steps[0].payload.sessionId is set by the run'],
    ])('should refuse invalid steps %j with a 400 naming the problem', async (steps, message) => {
      const res = await gql(gateway, alice.key, 'mutation($i: RegisterPipelineInput!) { registerPipeline(input: $i) { name } }', { i: { name: 'bad', steps } });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
      expect(res.errors?.[0].message).toContain(message);
    });

    it.each([
      ['http://127.0.0.1:8080/mcp', '127.0.0.1', '127.0.0.1'],
      ['http://10.1.2.3/mcp', '10.1.2.3', '10.1.2.3'],
      ['http://169.254.169.254/latest/meta-data', '169.254.169.254', '169.254.169.254'],
      ['http://100.64.0.7/mcp', '100.64.0.7', '100.64.0.7'],
      ['http://[::1]:3000/mcp', '::1', '::1'],
      ['http://[::ffff:127.0.0.1]/mcp', '::ffff:7f00:1', '::ffff:7f00:1'],
    ])('should refuse an agent step whose MCP server %s is not a public address (400, nothing saved)', async (url, host, address) => {
      const steps = [{ kind: 'agent', instructions: 'Use the tools', mcpServers: [{ name: 'docs', url: 'https://1.1.1.1/mcp' }, { name: 'inner', url }] }];
      const res = await gql(gateway, alice.key, 'mutation($i: RegisterPipelineInput!) { registerPipeline(input: $i) { name } }', { i: { name: 'reach-inside', steps } });
      expect(res.errors?.[0]).toMatchObject({
        message: `Invalid pipeline: steps[0].mcpServers[1]: MCP server inner URL host ${host} resolves to ${address}, a loopback, private, link-local or otherwise non-public address; MCP servers may only be public addresses (set MCP_ALLOW_PRIVATE_TARGETS=true to allow them, for local development only)`,
        extensions: { code: 'BAD_REQUEST' },
      });
      const saved = await gql<{ pipelines: { name: string }[] }>(gateway, alice.key, '{ pipelines { name } }');
      expect(saved.data?.pipelines.map((p) => p.name)).not.toContain('reach-inside');
    });

    it('should refuse an MCP server named by a host that resolves to loopback, and keep one on a public address', async () => {
      const inner = [{ kind: 'agent', mcpServers: [{ name: 'local', url: 'http://localhost:3000/mcp' }] }];
      const refused = await gql(gateway, alice.key, 'mutation($i: RegisterPipelineInput!) { registerPipeline(input: $i) { name } }', { i: { name: 'local-mcp', steps: inner } });
      expect(refused.errors?.[0].message).toMatch(/^Invalid pipeline: steps\[0\]\.mcpServers\[0\]: MCP server local URL host localhost resolves to (127\.0\.0\.1|::1), a loopback/);
      const outer = [{ kind: 'agent', mcpServers: [{ name: 'public', url: 'https://1.1.1.1/mcp' }] }];
      // Another user, so alice's and bob's pipeline listings stay as the first test expects.
      const carol = await gateway.newUser();
      const kept = await gql(gateway, carol.key, 'mutation($i: RegisterPipelineInput!) { registerPipeline(input: $i) { name steps } }', { i: { name: 'public-mcp', steps: outer } });
      expect(kept.data?.registerPipeline).toEqual({ name: 'public-mcp', steps: outer });
      await gateway.db.query('DELETE FROM users WHERE id = $1', [carol.userId]);
    });

    it('should refuse a built-in name', async () => {
      const res = await gql(gateway, alice.key, 'mutation { registerPipeline(input: { name: "plan", steps: [{ kind: "input", prompt: "x" }] }) { name } }');
      expect(res.errors?.[0].message).toBe('Pipeline plan is built in; choose another name');
    });
  });
});
