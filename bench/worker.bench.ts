import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { WorkerClient } from '@sandbox/clients';
import { TaskStatus, TaskType } from '@sandbox/contracts';
import { deleteRedisPrefix, requireStackVar, startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/worker-service/src/app.module';
import { TasksService } from '../apps/worker-service/src/modules/tasks/tasks.service';
import { WORKER_SERVICE } from '../apps/worker-service/src/service';
import type { Benchmark } from './lib/report';
import { percentile } from './lib/stats';

const TOTAL = Number(process.env.BENCH_WORKER_TASKS ?? 10_000);
const IN_FLIGHT = 32; // concurrent enqueue requests, both sides
const CONCURRENCY = 8; // worker concurrency, both sides
const IDLE_SAMPLES = Number(process.env.BENCH_WORKER_IDLE_SAMPLES ?? 200); // enqueue → start with an empty queue

interface Round {
  count: number;
  wallMs: number;
  /** enqueue → handler start, ms */
  latencies: number[];
}

async function pool(count: number, run: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) await run(next++);
  }));
}

/**
 * Raw BullMQ: Queue.add + a Worker with an empty processor. `asRecord`: the other design, BullMQ's job
 * as the task record (immich's way), at its cheapest: the job keeps its data and result (kept on
 * completion, as a record must be) and the one index BullMQ cannot give, the owner's, is written with
 * each add. Everything else that design would need (cancelled, events, type filter) is left out, so
 * this is its upper bound.
 */
async function rawRound(redisUrl: string, count: number, asRecord = false): Promise<Round> {
  const prefix = `bench-raw-${randomUUID().slice(0, 8)}`;
  const latencies: number[] = [];
  let done = 0;
  const queue = new Queue('tasks', { connection: { url: redisUrl }, prefix });
  const index = new Redis(redisUrl);
  const worker = new Worker('tasks', async (job) => {
    latencies.push(Date.now() - job.timestamp);
    return asRecord ? { ok: true } : undefined;
  }, { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency: CONCURRENCY });
  worker.on('completed', () => void done++);
  await worker.waitUntilReady();
  const started = performance.now();
  await pool(count, async () => {
    const id = randomUUID();
    if (!asRecord) {
      await queue.add('task', { type: 'noop' }, { jobId: id, priority: 6, attempts: 3, removeOnComplete: true, removeOnFail: true });
      return;
    }
    const data = { type: 'system.noop', payload: {}, ownerId: 'bench-owner', maxAttempts: 3 };
    await Promise.all([
      queue.add('system.noop', data, { jobId: id, priority: 6, attempts: 3, removeOnComplete: { count: count * 2 }, removeOnFail: { count: count * 2 } }),
      index.zadd(`${prefix}:owner:${data.ownerId}`, Date.now(), id),
    ]);
  });
  while (done < count) await sleep(20);
  const wallMs = performance.now() - started;
  await worker.close();
  await queue.close();
  index.disconnect();
  await deleteRedisPrefix(prefix, redisUrl);
  return { count, wallMs, latencies };
}

/** Raw BullMQ with an empty queue: one add at a time, each waiting for its start. */
async function rawIdleLatencies(redisUrl: string, samples: number): Promise<number[]> {
  const prefix = `bench-raw-idle-${randomUUID().slice(0, 8)}`;
  const queue = new Queue('tasks', { connection: { url: redisUrl }, prefix });
  let onStart: (() => void) | null = null;
  const worker = new Worker('tasks', async () => onStart?.(), { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  const latencies: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const startedRun = new Promise<void>((resolve) => (onStart = resolve));
      const sent = performance.now();
      await queue.add('task', { type: 'noop' }, { jobId: randomUUID(), priority: 6, attempts: 3, removeOnComplete: true, removeOnFail: true });
      await startedRun;
      latencies.push(performance.now() - sent);
    }
  } finally {
    await worker.close();
    await queue.close();
    await deleteRedisPrefix(prefix, redisUrl);
  }
  return latencies;
}

/**
 * Ours: POST /api/tasks through WorkerClient, run by the worker-service's engine (records, events,
 * statuses). `direct`: TasksService.create called in-process instead, to tell the engine's cost from HTTP's.
 */
async function oursRound(redisUrl: string, key: string, count: number, direct = false): Promise<Round> {
  const prefix = `bench-ours-${randomUUID().slice(0, 8)}`;
  const app = await startTestApp(() => AppModule.forRoot(), WORKER_SERVICE, {
    INTERNAL_SERVICE_KEY: key,
    REDIS_URL: redisUrl,
    WORKER_QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: String(CONCURRENCY),
    TASK_RETENTION_COUNT: String(count * 2),
    LOG_LEVEL: 'silent',
  });
  const client = new WorkerClient({ baseUrl: app.url, internalKey: key });
  // Enqueue time taken on the caller's side before the request, like job.timestamp on the raw side
  // (set by Queue.add before its Redis call); same process, same clock as the engine's startedAt.
  const enqueuedAt = new Map<string, number>();
  const service = app.app.get(TasksService);
  try {
    const started = performance.now();
    await pool(count, async () => {
      const sent = Date.now();
      const request = { type: TaskType.SystemNoop, payload: {}, priority: 5 as const };
      const task = direct ? await service.create(request) : await client.createTask(request);
      enqueuedAt.set(task.id, sent);
    });
    while ((await client.listTasks({ status: TaskStatus.Completed, limit: 1 })).total < count) await sleep(20);
    const wallMs = performance.now() - started;
    const latencies: number[] = [];
    for (let offset = 0; offset < count; offset += 100) {
      for (const task of (await client.listTasks({ limit: 100, offset })).tasks) latencies.push(Date.parse(task.startedAt ?? task.createdAt) - (enqueuedAt.get(task.id) ?? Date.parse(task.createdAt)));
    }
    return { count, wallMs, latencies };
  } finally {
    await client.close();
    await app.close();
    await deleteRedisPrefix(prefix, redisUrl);
  }
}

/**
 * Ours with an empty queue: one POST at a time, each waiting for its task to finish; latency from the
 * caller's clock before the request to the engine's `startedAt` (millisecond resolution).
 */
async function oursIdleLatencies(redisUrl: string, key: string, samples: number): Promise<number[]> {
  const prefix = `bench-ours-idle-${randomUUID().slice(0, 8)}`;
  const app = await startTestApp(() => AppModule.forRoot(), WORKER_SERVICE, { INTERNAL_SERVICE_KEY: key, REDIS_URL: redisUrl, WORKER_QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: 'silent' });
  const client = new WorkerClient({ baseUrl: app.url, internalKey: key });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const sent = Date.now();
      let task = await client.createTask({ type: TaskType.SystemNoop, payload: {}, priority: 5 });
      while (task.status !== TaskStatus.Completed) {
        await sleep(2);
        task = await client.getTask(task.id);
      }
      latencies.push(Date.parse(task.startedAt ?? task.createdAt) - sent);
    }
  } finally {
    await client.close();
    await app.close();
    await deleteRedisPrefix(prefix, redisUrl);
  }
  return latencies;
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

const merge = (rounds: Round[]) => {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const count = rounds.reduce((sum, r) => sum + r.count, 0);
  const wallMs = rounds.reduce((sum, r) => sum + r.wallMs, 0);
  return { throughput: (count / wallMs) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
};

/** 10k no-op tasks through our REST + queue path vs bare BullMQ add/process, alternating halves. */
export const benchmark: Benchmark = {
  name: 'Worker task throughput',
  async run() {
    const redisUrl = requireStackVar('REDIS_URL');
    const key = requireStackVar('INTERNAL_SERVICE_KEY').split(',')[0].trim();
    const half = Math.ceil(TOTAL / 2);
    const raw: Round[] = [];
    const ours: Round[] = [];
    const asRecord: Round[] = [];
    const direct: Round[] = [];
    for (let round = 0; round < 2; round++) {
      raw.push(await rawRound(redisUrl, half));
      ours.push(await oursRound(redisUrl, key, half));
      asRecord.push(await rawRound(redisUrl, half, true));
      direct.push(await oursRound(redisUrl, key, half, true));
    }
    const r = merge(raw);
    const o = merge(ours);
    const a = merge(asRecord);
    const d = merge(direct);
    const rawIdle: number[] = [];
    const oursIdle: number[] = [];
    for (let round = 0; round < 2; round++) {
      rawIdle.push(...(await rawIdleLatencies(redisUrl, IDLE_SAMPLES / 2)));
      oursIdle.push(...(await oursIdleLatencies(redisUrl, key, IDLE_SAMPLES / 2)));
    }
    return {
      name: `Worker: ${half * 2} no-op tasks, REST + engine vs raw BullMQ`,
      description: `Each side enqueues ${half} no-op tasks twice (alternating), ${IN_FLIGHT} enqueues in flight, worker concurrency ${CONCURRENCY}, same Redis. Raw: \`Queue.add\` + \`Worker\` with an empty processor. Ours: \`POST /api/tasks\` via WorkerClient (validation, task record, indexes), then the engine (status transitions, events, result record).`,
      baselineLabel: 'raw BullMQ',
      oursLabel: 'worker-service',
      rows: [
        { metric: 'throughput (enqueue to last completion)', unit: 'tasks/s', baseline: r.throughput, ours: o.throughput, others: { 'engine alone (no HTTP)': d.throughput, 'job as record, no HTTP (upper bound)': a.throughput }, better: 'higher' },
        { metric: 'enqueue → start p50, with a backlog', unit: 'ms', baseline: r.p50, ours: o.p50, better: 'lower' },
        { metric: 'enqueue → start p99, with a backlog', unit: 'ms', baseline: r.p99, ours: o.p99, better: 'lower' },
        { metric: 'enqueue → start p50, empty queue', unit: 'ms', baseline: median(rawIdle), ours: median(oursIdle), better: 'lower' },
      ],
      notes: [
        'Latency: from the caller\'s clock just before the enqueue call (raw: `job.timestamp`, set by `Queue.add` before its Redis call; ours: `Date.now()` before `POST /api/tasks`, so the HTTP request counts) to the handler start (raw: processor entry; ours: `startedAt`, taken when the engine picks the task up). One process, one clock, millisecond resolution. The throughput rows run with a backlog (enqueueing outpaces processing), so their start latency is mostly time spent waiting in the queue; the empty-queue row is the path itself.',
        'Same load on both sides: 32 enqueues in flight, worker concurrency 8, same Redis, all in this one process (the HTTP client and server of ours included, so their CPU is shared with the engine). Ours does more per task by design: an HTTP request (key guard, request id, logging, metrics, validation), the task record and its indexes (created in one MULTI with the queue entry), two conditional status transitions with their events, and the result record.',
        `Empty queue: ${IDLE_SAMPLES} enqueues one at a time, each waiting for its start (raw) or its completion (ours) before the next, so nothing waits behind a backlog: the latency is the path itself (ours: HTTP request, record + entry, the worker's wake-up, the start transition; raw: \`Queue.add\` and the wake-up).`,
        'Other columns, same harness and load: "engine alone" is ours with `TasksService.create` called in-process instead of `POST /api/tasks` (the task record design without HTTP); "job as record" is raw BullMQ keeping each job as the record (result kept on completion) plus an owner index written with each add, i.e. the cheapest form of the other design, without HTTP, cancelled status, events or a type index.',
        'Set BENCH_WORKER_TASKS to change the count (default 10000), BENCH_WORKER_IDLE_SAMPLES the empty-queue samples (default 200).',
      ],
    };
  },
};
