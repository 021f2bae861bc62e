import { performance } from 'node:perf_hooks';

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** Operations per second over the measured loop. */
  opsPerSec: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function summarize(samples: number[], wallMs: number): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean,
    opsPerSec: (sorted.length / wallMs) * 1000,
  };
}

/** Samples taken one after another: their sum is the wall time. */
export function summarizeSequence(samples: number[]): Summary {
  return summarize(samples, samples.reduce((sum, value) => sum + value, 0));
}

/** Times `iterations` sequential calls of `fn` after `warmup` unmeasured ones. Milliseconds. */
export async function measure(fn: () => Promise<unknown>, iterations: number, warmup = Math.min(20, iterations)): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples, performance.now() - started);
}

/**
 * Measures several contenders in alternating rounds so that drift on a busy machine (other
 * processes, CPU frequency) hits all of them alike. Returns one summary per contender.
 */
export async function alternate<K extends string>(contenders: Record<K, () => Promise<unknown>>, rounds: number, perRound: number): Promise<Record<K, Summary>> {
  const keys = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const wall = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const key of keys) for (let i = 0; i < Math.min(10, perRound); i++) await contenders[key]();
  for (let round = 0; round < rounds; round++) {
    for (const key of round % 2 === 0 ? keys : [...keys].reverse()) {
      const started = performance.now();
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        await contenders[key]();
        samples[key].push(performance.now() - t0);
      }
      wall[key] += performance.now() - started;
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarize(samples[k], wall[k])])) as Record<K, Summary>;
}
