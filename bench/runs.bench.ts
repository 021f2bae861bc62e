import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import pg from 'pg';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { PipelineService } from '@sandbox/contracts/pipeline';
import { requireStackVar, startPlatformProcesses } from '@sandbox/testing';
import { displayPrefix, generateApiKey, hashApiKey } from '../apps/api-gateway/src/modules/auth/api-key';
import type { Benchmark, BenchRow } from './lib/report';
import { percentile } from './lib/stats';

const REPLAY_EVENTS = Number(process.env.BENCH_RUNS_REPLAY_EVENTS ?? 10_000);
const REPLAY_ROUNDS = 3;
const WATCHERS = Number(process.env.BENCH_RUNS_WATCHERS ?? 50);
const FANOUT_EVENTS = Number(process.env.BENCH_RUNS_FANOUT_EVENTS ?? 200);
const START_SAMPLES = Number(process.env.BENCH_RUNS_START_SAMPLES ?? 20);
const CHANNEL = 'bench_run_events';

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const p99 = (values: number[]) => percentile([...values].sort((a, b) => a - b), 99);

/** Resident memory of a process, from /proc (kB → MB). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;

/**
 * Runs `work` while sampling a memory figure every 5 ms; the peak growth over the level before it.
 * `pid`: another process's resident set (from /proc); none: this process's used heap.
 */
async function peakGrowth<T>(pid: number | null, work: () => Promise<T>): Promise<{ result: T; ms: number; growthMb: number }> {
  const sample = pid === null ? heapMb : () => rssMb(pid);
  const before = sample();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, sample())), 5);
  const t0 = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - t0;
    peak = Math.max(peak, sample());
    return { result, ms, growthMb: peak - before };
  } finally {
    clearInterval(timer);
  }
}

/**
 * A run's SSE stream read to its end; each `data:` parsed as a client would. `onFirst` fires at the
 * first event, `onEvent` at each (with its seq).
 */
async function readSse(url: string, key: string, hooks: { onFirst?: () => void; onEvent?: (seq: number) => void } = {}): Promise<number> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200 || !res.body) throw new Error(`SSE answered ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let count = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as { seq: number };
      if (count++ === 0) hooks.onFirst?.();
      hooks.onEvent?.(event.seq);
    }
  }
  return count;
}

/**
 * Runs' event path against raw PostgreSQL, same run, alternating: a real run's start → its first event
 * at an SSE watcher; the fan-out of live events to 50 SSE watchers; the replay of 10,000 stored events
 * over SSE and Connect WatchRun against one `SELECT … ORDER BY seq` of the same rows.
 */
export const benchmark: Benchmark = {
  name: 'Runs: start → first event, fan-out, replay',
  async run() {
    const db = new pg.Pool({ connectionString: requireStackVar('TEST_DATABASE_URL'), max: 4 });
    // A user of its own (not the shared development user, whose sessions the end-to-end tests clean up).
    const apiKey = generateApiKey();
    const owner = (await db.query<{ id: string }>(`INSERT INTO users (id, name) VALUES ($1, $2) RETURNING id`, [randomUUID(), `bench-runs-${randomUUID()}`])).rows[0].id;
    await db.query(`INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, 'bench', $3, $4)`, [randomUUID(), owner, displayPrefix(apiKey), hashApiKey(apiKey)]);
    // The sweeper and stall check stay away from the runs the benchmark plays the worker of.
    const stack = await startPlatformProcesses('runs-bench', { services: { 'api-gateway': { RUN_SWEEP_INTERVAL_MS: '3600000', RUN_STALL_AFTER_MS: '3600000' } } });
    const { internalKey } = stack;
    const gateway = stack.services['api-gateway'];
    const gatewayPid = gateway.child.pid ?? 0;
    const createdRuns: string[] = [];
    const createdSessions: string[] = [];
    const listeners: pg.Client[] = [];
    const gql = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
      const res = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: T; errors?: unknown };
      if (!body.data) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const internal = async (path: string, body: unknown) => {
      const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [INTERNAL_KEY_HEADER]: internalKey }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    };
    try {
      await db.query(`CREATE TABLE IF NOT EXISTS ${CHANNEL} (run_id uuid, seq int, type text, message text, data jsonb, timestamp timestamptz DEFAULT now(), PRIMARY KEY (run_id, seq))`);

      // ---- run start → first event: a real run (worker, sandbox) against insert + NOTIFY + read ----
      const { createSession } = await gql<{ createSession: { id: string } }>(`mutation { createSession(input: { template: "base" }) { id } }`);
      createdSessions.push(createSession.id);
      for (let i = 0; i < 240; i++) {
        const { session } = await gql<{ session: { status: string } }>(`query($id: ID!) { session(id: $id) { status } }`, { id: createSession.id });
        if (session.status === 'ACTIVE') break;
        await sleep(250);
      }
      await gql(`mutation { registerPipeline(input: { name: "bench-first-event", steps: [{ kind: "exec", command: "true" }] }) { name } }`);
      const listener = new pg.Client({ connectionString: requireStackVar('TEST_DATABASE_URL') });
      listeners.push(listener);
      await listener.connect();
      await listener.query(`LISTEN ${CHANNEL}`);
      const rawRun = randomUUID();
      const startToFirstEvent = async () => {
        const t0 = performance.now();
        const { startRun } = await gql<{ startRun: { id: string } }>(`mutation($s: ID!) { startRun(sessionId: $s, pipeline: "bench-first-event") { id } }`, { s: createSession.id });
        createdRuns.push(startRun.id);
        let first = 0;
        await readSse(`${gateway.url}/api/runs/${startRun.id}/events`, apiKey, { onFirst: () => (first = performance.now()) });
        return first - t0;
      };
      const oursStart: number[] = [];
      const rawStart: number[] = [];
      for (let i = 0; i < START_SAMPLES; i++) {
        oursStart.push(await startToFirstEvent());

        const r0 = performance.now();
        const rang = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
        await db.query(`WITH e AS (INSERT INTO ${CHANNEL} (run_id, seq, type, message) VALUES ($1, $2, 'STEP', 'Step 1/1') RETURNING seq) SELECT pg_notify('${CHANNEL}', $3) FROM e`, [rawRun, i + 1, `${rawRun}:${i + 1}`]);
        await rang;
        await db.query(`SELECT seq, type, message, data, timestamp FROM ${CHANNEL} WHERE run_id = $1 AND seq > $2 ORDER BY seq`, [rawRun, i]);
        rawStart.push(performance.now() - r0);
      }

      // ---- fixtures written directly in SQL: a session without a sandbox and runs the benchmark plays the worker of ----
      const session = randomUUID();
      await db.query(`INSERT INTO sessions (id, owner_id, status, image) VALUES ($1, $2, 'ACTIVE', 'sandbox-base:local')`, [session, owner]);
      createdSessions.push(session);
      const insertRun = async (status: 'SUCCEEDED' | 'RUNNING', lastSeq: number) => {
        const id = randomUUID();
        await db.query(
          `INSERT INTO runs (id, session_id, owner_id, pipeline, status, steps, attempt, last_seq, started_at, finished_at)
           VALUES ($1, $2, $3, 'bench', $4::"RunStatus", '[]', 1, $5, now(), $6)`,
          [id, session, owner, status, lastSeq, status === 'SUCCEEDED' ? new Date() : null],
        );
        createdRuns.push(id);
        return id;
      };

      // ---- replay of 10,000 stored events: SSE and WatchRun against one SELECT of the same rows ----
      const replayRun = await insertRun('SUCCEEDED', REPLAY_EVENTS);
      await db.query(
        `INSERT INTO run_events (run_id, seq, type, message, data)
         SELECT $1, g, (CASE WHEN g = $2 THEN 'COMPLETE' ELSE 'LOG' END)::"RunEventType", 'build step ' || g || ': compiling src/module_' || g || '.ts (ok)', jsonb_build_object('line', g, 'stream', 'stdout')
         FROM generate_series(1, $2) AS g`,
        [replayRun, REPLAY_EVENTS],
      );
      const connect = createClient(PipelineService, createConnectTransport({ baseUrl: `${gateway.url}/connect`, httpVersion: '1.1' }));
      const replay = { raw: [] as number[], sse: [] as number[], connect: [] as number[] };
      const memory = { raw: [] as number[], sse: [] as number[], connect: [] as number[] };
      const reader = await db.connect();
      try {
        for (let round = 0; round < REPLAY_ROUNDS; round++) {
          const raw = await peakGrowth(null, () => reader.query(`SELECT seq, type, message, data, timestamp FROM run_events WHERE run_id = $1 ORDER BY seq`, [replayRun]));
          if (raw.result.rowCount !== REPLAY_EVENTS) throw new Error(`raw read returned ${raw.result.rowCount} rows`);
          const sse = await peakGrowth(gatewayPid, () => readSse(`${gateway.url}/api/runs/${replayRun}/events`, apiKey));
          if (sse.result !== REPLAY_EVENTS) throw new Error(`SSE replayed ${sse.result} events`);
          const watched = await peakGrowth(gatewayPid, async () => {
            let count = 0;
            for await (const event of connect.watchRun({ runId: replayRun, afterSeq: 0 }, { headers: { authorization: `Bearer ${apiKey}` } })) {
              JSON.parse(event.dataJson);
              count++;
            }
            return count;
          });
          if (watched.result !== REPLAY_EVENTS) throw new Error(`WatchRun replayed ${watched.result} events`);
          replay.raw.push(raw.ms);
          replay.sse.push(sse.ms);
          replay.connect.push(watched.ms);
          memory.raw.push(raw.growthMb);
          memory.sse.push(sse.growthMb);
          memory.connect.push(watched.growthMb);
        }
      } finally {
        reader.release();
      }

      // ---- fan-out: one live run, N events posted through the internal route, 50 SSE watchers ----
      const fanRun = await insertRun('RUNNING', 0);
      const sentAt = new Map<number, number>();
      const oursDelivery: number[] = [];
      const watchers = Array.from({ length: WATCHERS }, () =>
        readSse(`${gateway.url}/api/runs/${fanRun}/events`, apiKey, {
          onEvent: (seq) => {
            const sent = sentAt.get(seq);
            if (sent !== undefined) oursDelivery.push(performance.now() - sent);
          },
        }),
      );
      await sleep(500); // every watcher connected and waiting
      const fan0 = performance.now();
      for (let n = 1; n <= FANOUT_EVENTS; n++) {
        sentAt.set(n, performance.now());
        await internal(`/api/internal/runs/${fanRun}/events`, { attempt: 1, n, events: [{ type: 'LOG', message: `line ${n}`, data: { n } }] });
      }
      await internal(`/api/internal/runs/${fanRun}/finish`, { attempt: 1, status: 'SUCCEEDED' });
      const counts = await Promise.all(watchers);
      const oursFanWall = performance.now() - fan0;
      if (counts.some((c) => c !== FANOUT_EVENTS + 1)) throw new Error(`a watcher missed events: ${counts.join(',')}`);

      // Raw: 50 LISTEN connections, each event inserted and sent as the NOTIFY payload (no read).
      const fanListeners: pg.Client[] = [];
      for (let i = 0; i < WATCHERS; i++) {
        const client = new pg.Client({ connectionString: requireStackVar('TEST_DATABASE_URL') });
        listeners.push(client);
        fanListeners.push(client);
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}_fan`);
      }
      const rawFanRun = randomUUID();
      const rawSent = new Map<number, number>();
      const rawDelivery: number[] = [];
      let delivered = 0;
      const allDelivered = new Promise<void>((resolve) => {
        for (const client of fanListeners) {
          client.on('notification', (message) => {
            const event = JSON.parse(message.payload ?? '{}') as { seq: number };
            rawDelivery.push(performance.now() - (rawSent.get(event.seq) ?? 0));
            if (++delivered === WATCHERS * FANOUT_EVENTS) resolve();
          });
        }
      });
      const raw0 = performance.now();
      for (let n = 1; n <= FANOUT_EVENTS; n++) {
        rawSent.set(n, performance.now());
        await db.query(
          `WITH e AS (INSERT INTO ${CHANNEL} (run_id, seq, type, message, data) VALUES ($1, $2, 'LOG', $3, $4) RETURNING *)
           SELECT pg_notify('${CHANNEL}_fan', row_to_json(e)::text) FROM e`,
          [rawFanRun, n, `line ${n}`, JSON.stringify({ n })],
        );
      }
      await allDelivered;
      const rawFanWall = performance.now() - raw0;

      const rs = median(replay.raw);
      const rows: BenchRow[] = [
        { metric: 'run start → first event p50', unit: 'ms', baseline: median(rawStart), ours: median(oursStart), better: 'lower' },
        { metric: `fan-out: event → each of ${WATCHERS} watchers p50`, unit: 'ms', baseline: median(rawDelivery), ours: median(oursDelivery), better: 'lower' },
        { metric: `fan-out: event → each of ${WATCHERS} watchers p99`, unit: 'ms', baseline: p99(rawDelivery), ours: p99(oursDelivery), better: 'lower' },
        { metric: `fan-out: ${FANOUT_EVENTS} events to all ${WATCHERS} watchers`, unit: 'ms', baseline: rawFanWall, ours: oursFanWall, better: 'lower' },
        { metric: `replay of ${REPLAY_EVENTS} events`, unit: 'ms', baseline: rs, ours: median(replay.sse), others: { 'Connect WatchRun': median(replay.connect) }, better: 'lower' },
        { metric: `replay of ${REPLAY_EVENTS} events`, unit: 'events/s', baseline: (REPLAY_EVENTS / rs) * 1000, ours: (REPLAY_EVENTS / median(replay.sse)) * 1000, others: { 'Connect WatchRun': (REPLAY_EVENTS / median(replay.connect)) * 1000 }, better: 'higher' },
        { metric: 'replay: peak memory growth of the serving process', unit: 'MB', baseline: median(memory.raw), ours: median(memory.sse), others: { 'Connect WatchRun': median(memory.connect) }, better: 'lower' },
      ];
      return {
        name: `Runs: start → first event, fan-out to ${WATCHERS} watchers, replay of ${REPLAY_EVENTS} events`,
        description: `The runs event path (PostgreSQL rows with a per-run seq, LISTEN/NOTIFY doorbell, one shared \`seq > last\` read per run per doorbell) against raw PostgreSQL doing the least the same job needs. Gateway, worker and container-manager run as processes from dist/ on the test database; medians over ${START_SAMPLES} starts and ${REPLAY_ROUNDS} replay rounds.`,
        baselineLabel: 'raw PostgreSQL',
        oursLabel: 'gateway SSE',
        rows,
        notes: [
          `Run start → first event. Ours: the \`startRun\` mutation of a one-step pipeline (\`exec true\`) in an ACTIVE base sandbox, then \`GET /api/runs/:id/events\`, timed from before the mutation to the first SSE event (task created in the worker, picked up, run claimed, base checkpoint recorded, first STEP event written, the watcher's read). Raw: one \`INSERT … RETURNING\` with \`pg_notify\` in the same statement, the LISTENing connection woken, and the \`seq > last\` read: the floor of any design that stores events in PostgreSQL. Each start waits for the previous run to end (one active run per session). The worker posts a run's first events at once (it batches only behind a batch in flight), so what remains is the task pickup, the sandbox check and the base checkpoint before the first STEP event.`,
          `Fan-out. Ours: ${WATCHERS} SSE watchers of one RUNNING run (inserted in SQL; the benchmark plays the worker), ${FANOUT_EVENTS} events posted one per batch through the worker's internal route (\`POST /api/internal/runs/:id/events\`: attempt fence, seq counter row, insert, NOTIFY), each sent after the previous one is stored; latency from before the POST to each watcher's parse of that event, so the run's shared \`seq > last\` read (one per doorbell for all ${WATCHERS} caught-up watchers) is in it. Raw: ${WATCHERS} PostgreSQL connections LISTENing, each event inserted and its row sent as the NOTIFY payload (no read, no ordering or replay guarantee: a watcher that connects late or drops a notification misses events).`,
          `Replay. The ${REPLAY_EVENTS} events (LOG lines of ~50 characters with a small JSON \`data\`, the last one COMPLETE) and their run are inserted directly with SQL (\`generate_series\`), not through the internal route, so only the read side is measured. Ours: a new watcher from seq 0 reading SSE (or Connect WatchRun, JSON over HTTP/1.1) to the end, parsing every event; the gateway pages through the rows 1000 at a time, one socket write per page for SSE. Raw: one \`SELECT seq, type, message, data, timestamp … ORDER BY seq\` on an open pg connection, rows parsed by pg into objects.`,
          'Memory, sampled every 5 ms during one replay, peak growth over the level before it: for SSE and WatchRun the resident set of the gateway process (from /proc; it pages through the rows 1000 at a time, so it stays bounded whatever the run length, but a process that already holds enough pages from an earlier round shows little growth); for the raw read the used heap of the benchmark process, which holds the whole result at once (it grows with the run). Not the same measure on both sides: read it as the order of magnitude each side needs for one replay.',
          'Set BENCH_RUNS_REPLAY_EVENTS, BENCH_RUNS_WATCHERS, BENCH_RUNS_FANOUT_EVENTS and BENCH_RUNS_START_SAMPLES to change the sizes (defaults 10000, 50, 200, 20).',
        ],
      };
    } finally {
      await Promise.all(listeners.map((client) => client.end().catch(() => undefined)));
      for (const id of createdSessions.slice(0, 1)) {
        await gql(`mutation($id: ID!) { deleteSession(id: $id) }`, { id }).catch(() => undefined);
      }
      // The user's sessions, runs, events, pipelines and key go with it.
      await db.query('DELETE FROM runs WHERE id = ANY($1::uuid[])', [createdRuns]).catch(() => undefined);
      await db.query('DELETE FROM users WHERE id = $1', [owner]).catch(() => undefined);
      await db.query(`DROP TABLE IF EXISTS ${CHANNEL}`).catch(() => undefined);
      await db.end();
      await stack.stop();
    }
  },
};
