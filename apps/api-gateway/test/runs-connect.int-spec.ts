import { Code, ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { fromJson } from '@bufbuild/protobuf';
import { timestampDate, ValueSchema } from '@bufbuild/protobuf/wkt';
import { request } from 'undici';
import { PipelineService, type WatchRunResponse } from '@sandbox/contracts/pipeline';
import { freePort } from '@sandbox/testing';
import { ConnectGrpcServer } from '../src/modules/connect/connect-grpc.server';
import { PipelineConnectService } from '../src/modules/connect/pipeline.connect';
import { gql, internalPost, startGateway, TestGateway } from './support/gateway';

type Pipeline = Client<typeof PipelineService>;

const REPO = 'https://git.example.com/acme/widgets.git';

/** What a test compares of a streamed event: everything but the timestamp's sub-millisecond part. */
function view(event: WatchRunResponse) {
  return { seq: event.seq, type: event.type, message: event.message, data: JSON.parse(event.dataJson) as unknown, at: event.timestamp ? timestampDate(event.timestamp).toISOString() : null };
}

async function watchAll(client: Pipeline, key: string | null, runId: string, afterSeq = 0): Promise<ReturnType<typeof view>[]> {
  const all: ReturnType<typeof view>[] = [];
  for await (const event of client.watchRun({ runId, afterSeq }, { headers: key === null ? {} : { authorization: `Bearer ${key}` } })) all.push(view(event));
  return all;
}

/** The ConnectError a call ends with (a test of a refusal fails if the call succeeds). */
async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('the call succeeded');
}

/**
 * `sandbox.v1.PipelineService` on the gateway (docs/runs.md, Connect) against the real PostgreSQL, with
 * real Connect clients over the three protocols: Connect and gRPC-Web at /connect on the HTTP port,
 * gRPC on the h2c listener. No worker runs: the test plays it on the internal routes (claim, event
 * batches, finish), as runs.int-spec.ts does.
 */
describe(PipelineConnectService.name, () => {
  let gateway: TestGateway;
  let grpcPort: number;
  let alice: { key: string; userId: string };
  let bob: { key: string; userId: string };
  let connect: Pipeline;
  let grpcWeb: Pipeline;
  let grpc: Pipeline;
  let grpcPrefixed: Pipeline;

  beforeAll(async () => {
    grpcPort = await freePort();
    gateway = await startGateway({ RUN_EVENT_POLL_MS: '200', CONNECT_GRPC_PORT: String(grpcPort) });
    alice = await gateway.newUser();
    bob = await gateway.newUser();
    const client = (transport: Transport) => createClient(PipelineService, transport);
    connect = client(createConnectTransport({ baseUrl: `${gateway.url}/connect`, httpVersion: '1.1' }));
    grpcWeb = client(createGrpcWebTransport({ baseUrl: `${gateway.url}/connect`, httpVersion: '1.1' }));
    grpc = client(createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }));
    grpcPrefixed = client(createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}/connect` }));
  });

  afterAll(async () => {
    await gateway?.db.query('DELETE FROM users WHERE id = ANY($1::uuid[])', [[alice?.userId, bob?.userId].filter(Boolean)]);
    await gateway?.close();
  });

  const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
  const claim = (runId: string) => internalPost(gateway, `/api/internal/runs/${runId}/claim`, {});
  const events = (runId: string, attempt: number, n: number, list: { type: string; message: string; data?: unknown }[]) =>
    internalPost(gateway, `/api/internal/runs/${runId}/events`, { attempt, n, events: list });
  const finish = (runId: string, body: Record<string, unknown>) => internalPost(gateway, `/api/internal/runs/${runId}/finish`, body);
  const runOf = async (runId: string) => (await gql<{ run: Record<string, unknown> | null }>(gateway, alice.key, 'query($id: ID!) { run(id: $id) { id sessionId pipeline status parentRunId input } }', { id: runId })).data?.run;

  /** The run's events as the SSE route sends them, for comparison. */
  async function sse(runId: string) {
    const res = await request(`${gateway.url}/api/runs/${runId}/events`, { headers: { authorization: `Bearer ${alice.key}` } });
    const text = await res.body.text();
    return text
      .split('\n\n')
      .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
      .filter((line): line is string => line !== undefined)
      .map((line) => JSON.parse(line.slice(6)) as { seq: number; type: string; message: string; data: unknown; timestamp: string })
      .map((e) => ({ seq: e.seq, type: e.type, message: e.message, data: e.data, at: e.timestamp }));
  }

  /** A finished run of alice's: InitRun over Connect, then the played worker's 3 batches and SUCCEEDED. */
  async function finishedRun(): Promise<{ sessionId: string; runId: string }> {
    const { sessionId, bootstrapRunId: runId } = await connect.initRun({ repoUrl: REPO }, auth(alice.key));
    await claim(runId);
    await events(runId, 1, 1, [{ type: 'STEP', message: 'Step 1/3: clone', data: { step: 'clone' } }]);
    await events(runId, 1, 2, [{ type: 'LOG', message: 'cloned' }, { type: 'PROGRESS', message: 'half', data: { done: 1, of: 2 } }]);
    await finish(runId, { attempt: 1, status: 'SUCCEEDED', result: { repoName: 'widgets' } });
    return { sessionId, runId };
  }

  describe('InitRun and WatchRun', () => {
    it('should create the session and its bootstrap run, then stream every event once in seq order, live, to COMPLETE', async () => {
      const started = await connect.initRun({ repoUrl: REPO, ref: 'main' }, auth(alice.key));
      expect(started.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await runOf(started.bootstrapRunId)).toMatchObject({ sessionId: started.sessionId, pipeline: 'bootstrap', status: 'QUEUED', input: { repoUrl: REPO, ref: 'main' } });
      const runId = started.bootstrapRunId;
      await claim(runId);
      await events(runId, 1, 1, [{ type: 'STEP', message: 'one', data: { n: 1 } }]);
      // The watcher joins mid-run: the past first, then live events as the worker reports them.
      const received = watchAll(connect, alice.key, runId);
      for (let n = 2; n <= 5; n++) await events(runId, 1, n, [{ type: 'LOG', message: `live ${n}` }]);
      await finish(runId, { attempt: 1, status: 'SUCCEEDED', result: { ok: true } });
      const all = await received;
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(all.map((e) => e.type)).toEqual(['STEP', 'LOG', 'LOG', 'LOG', 'LOG', 'COMPLETE']);
      expect(all[0]).toMatchObject({ message: 'one', data: { n: 1 } });
      expect(all[1]).toMatchObject({ message: 'live 2', data: null });
      expect(all.at(-1)).toMatchObject({ message: 'Run succeeded', data: { ok: true } });
      // The same events as SSE sends, timestamps included.
      expect(all).toEqual(await sse(runId));
    });

    it('should resume after after_seq, and end a finished run at once', async () => {
      const { runId } = await finishedRun();
      const all = await watchAll(connect, alice.key, runId);
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect((await watchAll(connect, alice.key, runId, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await watchAll(connect, alice.key, runId, 4)).toEqual([]);
    });
  });

  describe('StartRun and SubmitRunInput', () => {
    it('should start a pipeline with a JSON input, answer the run waiting for input, then continue with a plan run', async () => {
      const { sessionId, runId: first } = await finishedRun();
      const { runId } = await connect.startRun({ sessionId, pipelineId: 'test', input: fromJson(ValueSchema, { command: 'make check' }) }, auth(alice.key));
      expect(await runOf(runId)).toMatchObject({ sessionId, pipeline: 'test', status: 'QUEUED', input: { command: 'make check' } });

      await claim(runId);
      await finish(runId, { attempt: 1, status: 'AWAITING_INPUT', question: 'Proceed?' });
      const answered = await connect.submitRunInput({ sessionId, runId, input: 'yes' }, auth(alice.key));
      expect(answered.nextRunId).toBe(runId);
      expect(await runOf(runId)).toMatchObject({ status: 'QUEUED' });
      await claim(runId);
      await finish(runId, { attempt: 2, status: 'SUCCEEDED' });

      const next = await connect.submitRunInput({ sessionId, input: 'Add a CONTRIBUTING file' }, auth(alice.key));
      expect(next.nextRunId).not.toBe(runId);
      expect(await runOf(next.nextRunId)).toMatchObject({ pipeline: 'plan', parentRunId: runId, status: 'QUEUED', input: 'Add a CONTRIBUTING file' });
      expect(first).not.toBe(runId);
    });
  });

  describe('other protocols', () => {
    it('should serve gRPC over h2c (bare and /connect paths) and gRPC-Web with the same events', async () => {
      const { runId } = await finishedRun();
      const expected = await watchAll(connect, alice.key, runId);
      expect(await watchAll(grpc, alice.key, runId)).toEqual(expected);
      expect(await watchAll(grpcPrefixed, alice.key, runId, 1)).toEqual(expected.slice(1));
      expect(await watchAll(grpcWeb, alice.key, runId)).toEqual(expected);
      const overGrpc = await grpc.initRun({ repoUrl: REPO }, auth(alice.key));
      expect(await runOf(overGrpc.bootstrapRunId)).toMatchObject({ sessionId: overGrpc.sessionId, status: 'QUEUED' });
      const overGrpcWeb = await grpcWeb.initRun({ repoUrl: REPO }, auth(alice.key));
      expect(await runOf(overGrpcWeb.bootstrapRunId)).toMatchObject({ sessionId: overGrpcWeb.sessionId, status: 'QUEUED' });
    });

    it('should answer the Connect protocol with plain JSON over HTTP (what buf curl and fetch send)', async () => {
      const res = await request(`${gateway.url}/connect/sandbox.v1.PipelineService/InitRun`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.key}` },
        body: JSON.stringify({ repoUrl: 'file:///etc' }),
      });
      expect(res.statusCode).toBe(400);
      expect(await res.body.json()).toEqual({ code: 'invalid_argument', message: 'Unsupported repository URL: file:///etc' });
      const ok = await request(`${gateway.url}/connect/sandbox.v1.PipelineService/InitRun`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.key}` },
        body: JSON.stringify({ repoUrl: REPO }),
      });
      expect(ok.statusCode).toBe(200);
      expect(await ok.body.json()).toEqual({ sessionId: expect.any(String), bootstrapRunId: expect.any(String) });
    });
  });

  describe('errors', () => {
    it('should refuse an unsupported repository URL with invalid_argument and the exact message, creating nothing', async () => {
      const before = await gateway.db.query('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [alice.userId]);
      for (const client of [connect, grpc, grpcWeb]) {
        const error = await refusal(client.initRun({ repoUrl: '--upload-pack=touch /tmp/pwned' }, auth(alice.key)));
        expect({ code: error.code, message: error.rawMessage }).toEqual({ code: Code.InvalidArgument, message: 'Unsupported repository URL: --upload-pack=touch /tmp/pwned' });
      }
      const after = await gateway.db.query('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [alice.userId]);
      expect(after.rows[0].n).toBe(before.rows[0].n);
      const badSession = await refusal(connect.startRun({ sessionId: 'nope', pipelineId: 'test' }, auth(alice.key)));
      expect({ code: badSession.code, message: badSession.rawMessage }).toEqual({ code: Code.InvalidArgument, message: 'sessionId must be a UUID' });
      const empty = await refusal(connect.submitRunInput({ sessionId: (await finishedRun()).sessionId, input: '  ' }, auth(alice.key)));
      expect({ code: empty.code, message: empty.rawMessage }).toEqual({ code: Code.InvalidArgument, message: 'Input must not be empty' });
    });

    it("should answer not_found for an unknown run and for another owner's run or session", async () => {
      const { sessionId, runId } = await finishedRun();
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const [client, key, id] of [
        [connect, alice.key, unknown],
        [connect, bob.key, runId],
        [grpc, bob.key, runId],
        [grpcWeb, bob.key, runId],
      ] as const) {
        const error = await refusal(watchAll(client, key, id));
        expect({ code: error.code, message: error.rawMessage }).toEqual({ code: Code.NotFound, message: `Run ${id} not found` });
      }
      const start = await refusal(connect.startRun({ sessionId, pipelineId: 'test' }, auth(bob.key)));
      expect({ code: start.code, message: start.rawMessage }).toEqual({ code: Code.NotFound, message: `Session ${sessionId} not found` });
      const submit = await refusal(connect.submitRunInput({ sessionId, input: 'hi' }, auth(bob.key)));
      expect({ code: submit.code, message: submit.rawMessage }).toEqual({ code: Code.NotFound, message: `Session ${sessionId} not found` });
    });

    it('should refuse a second active run with already_exists and another run id with failed_precondition', async () => {
      const { sessionId, bootstrapRunId } = await connect.initRun({ repoUrl: REPO }, auth(alice.key));
      for (const client of [connect, grpc]) {
        const error = await refusal(client.startRun({ sessionId, pipelineId: 'test' }, auth(alice.key)));
        expect({ code: error.code, message: error.rawMessage }).toEqual({ code: Code.AlreadyExists, message: `Session ${sessionId} already has an active run ${bootstrapRunId}` });
      }
      const other = '11111111-1111-4111-8111-111111111111';
      const error = await refusal(connect.submitRunInput({ sessionId, runId: other, input: 'yes' }, auth(alice.key)));
      expect({ code: error.code, message: error.rawMessage }).toEqual({ code: Code.FailedPrecondition, message: `Run ${other} is not the active run of session ${sessionId}` });
    });

    it('should refuse a call without a valid key with unauthenticated on every protocol', async () => {
      const { runId } = await finishedRun();
      for (const client of [connect, grpc, grpcWeb]) {
        const missing = await refusal(client.initRun({ repoUrl: REPO }));
        expect({ code: missing.code, message: missing.rawMessage }).toEqual({ code: Code.Unauthenticated, message: 'A valid API key is required (Authorization: Bearer <key>)' });
        expect((await refusal(watchAll(client, null, runId))).code).toBe(Code.Unauthenticated);
        expect((await refusal(client.startRun({ sessionId: runId, pipelineId: 'test' }, auth('sk_dev_not-a-key')))).code).toBe(Code.Unauthenticated);
      }
    });
  });

  it("should count every call against the key's rate limit and answer resource_exhausted with Retry-After beyond it", async () => {
    const limited = await startGateway({ THROTTLE_LIMIT: '3', CONNECT_GRPC_PORT: undefined });
    try {
      const carol = await limited.newUser();
      const client = createClient(PipelineService, createConnectTransport({ baseUrl: `${limited.url}/connect`, httpVersion: '1.1' }));
      const unknown = '00000000-0000-4000-8000-000000000000';
      // Two refused calls and one stream still count: the budget is per call, whatever its outcome.
      expect((await refusal(client.startRun({ sessionId: unknown, pipelineId: 'test' }, auth(carol.key)))).code).toBe(Code.NotFound);
      expect((await refusal(watchAll(client, carol.key, unknown))).code).toBe(Code.NotFound);
      await client.initRun({ repoUrl: REPO }, auth(carol.key));
      const error = await refusal(client.initRun({ repoUrl: REPO }, auth(carol.key)));
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toMatch(/^Too many requests, retry in \d+ s$/);
      expect(Number(error.metadata.get('retry-after'))).toBeGreaterThan(0);
      // Another key has its own budget.
      expect((await refusal(watchAll(client, alice.key, unknown))).code).toBe(Code.NotFound);
      await limited.db.query('DELETE FROM users WHERE id = $1', [carol.userId]);
    } finally {
      await limited.close();
    }
  });

  it('should leave the h2c listener off when CONNECT_GRPC_PORT is 0 (the default)', async () => {
    expect(gateway.app.get(ConnectGrpcServer).address?.port).toBe(grpcPort);
    const off = await startGateway({ CONNECT_GRPC_PORT: undefined });
    try {
      expect(off.app.get(ConnectGrpcServer).address).toBeNull();
    } finally {
      await off.close();
    }
  });
});
