import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
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
 */
export async function fixedRateLatency(options: FixedRateOptions): Promise<FixedRateResult> {
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
