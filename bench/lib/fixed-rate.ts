import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { percentile } from './stats';

export interface FixedRateOptions {
  url: string;
  headers: Record<string, string>;
  /** Requests per second, spread evenly. */
  rate: number;
  seconds: number;
  /** Leading seconds whose samples are dropped (new connections, JIT), still sent at the same rate. */
  warmupSeconds: number;
  connections: number;
}

export interface FixedRateResult {
  /** Microsecond-resolution percentiles in milliseconds, over the samples after the warm-up. */
  p50: number;
  p99: number;
  max: number;
  samples: number;
  errors: number;
}

/**
 * Sends GET requests at a fixed rate over a keep-alive pool and records each latency with
 * `performance.now()`, from the moment the request is handed to the pool (so time spent waiting for a
 * free connection counts) to the end of the body. Unlike autocannon's whole-millisecond histogram this
 * resolves the sub-millisecond latencies a proxy adds.
 *
 * The generator runs in a worker thread of its own: a V8 isolate with a heap of a few megabytes. In the
 * bench process's isolate (every benchmark, dockerode and the manager's modules loaded, 50–130 MB and
 * growing), its young-generation collections paused for 13–25 ms every few seconds, and each pause
 * delayed every request in flight, whichever contender was measured: direct connections showed a p99
 * of 2.8–8 ms and a maximum of 15–23 ms per 5 s window, against 0.7–1 ms and 4–5 ms from the worker
 * (docs/previews.md, Benchmark).
 */
export function fixedRateLatency(options: FixedRateOptions): Promise<FixedRateResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { fixedRate: options } });
    worker.once('message', (result: FixedRateResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the fixed-rate generator exited with ${code} before its result`)));
  });
}

/** Inside the worker started above. */
const job = isMainThread ? undefined : (workerData as { fixedRate?: FixedRateOptions } | null)?.fixedRate;
if (job && parentPort) {
  const port = parentPort;
  void generate(job).then((result) => port.postMessage(result));
}

async function generate(options: FixedRateOptions): Promise<FixedRateResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections });
  const total = Math.round(options.rate * options.seconds);
  const warmup = Math.round(options.rate * options.warmupSeconds);
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let errors = 0;
  const send = (index: number): void => {
    const started = performance.now();
    const done = pool
      .request({ method: 'GET', path: `${url.pathname}${url.search}`, headers: options.headers })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode !== 200) errors++;
        else if (index >= warmup) latencies.push(performance.now() - started);
      })
      .catch(() => void errors++)
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  try {
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * options.rate) + 1);
      while (sent < due) send(sent++);
      await sleep(1);
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, samples: sorted.length, errors };
}
