import type { Summary } from './stats';

/** One row of a benchmark: our path against the raw baseline, measured in the same run. */
export interface BenchRow {
  metric: string;
  unit: string;
  baseline: number;
  ours: number;
  /** Extra contenders (e.g. nginx) shown in their own columns. */
  others?: Record<string, number>;
  /** `lower` when smaller is better (latency), `higher` for throughput. */
  better: 'lower' | 'higher';
}

export interface BenchReport {
  name: string;
  description: string;
  baselineLabel: string;
  oursLabel: string;
  rows: BenchRow[];
  notes?: string[];
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchReport>;
}

/** A latency row (lower is better): one percentile of the baseline's and our samples, named `${metric} ${p}`. */
export function latencyRow(metric: string, baseline: Summary, ours: Summary, p: 'p50' | 'p95' | 'p99'): BenchRow {
  return { metric: `${metric} ${p}`, unit: 'ms', baseline: baseline[p], ours: ours[p], better: 'lower' };
}

/** The rows of sequential requests on a keep-alive connection: p50 and p99 latency, and throughput. */
export function requestRows(result: { raw: Summary; ours: Summary }): BenchRow[] {
  return [
    { metric: 'p50 latency', unit: 'ms', baseline: result.raw.p50, ours: result.ours.p50, better: 'lower' },
    { metric: 'p99 latency', unit: 'ms', baseline: result.raw.p99, ours: result.ours.p99, better: 'lower' },
    { metric: 'throughput', unit: 'req/s', baseline: result.raw.opsPerSec, ours: result.ours.opsPerSec, better: 'higher' },
  ];
}

const fmt = (value: number): string => (Number.isFinite(value) ? (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2)) : 'n/a');

/** ours/baseline for throughput, baseline/ours for latency: above 1 means ours is faster. */
export function speedRatio(row: BenchRow, value = row.ours): number {
  return row.better === 'higher' ? value / row.baseline : row.baseline / value;
}

export function renderReport(report: BenchReport): string {
  const otherKeys = [...new Set(report.rows.flatMap((row) => Object.keys(row.others ?? {})))];
  const header = ['metric', report.baselineLabel, report.oursLabel, ...otherKeys, `speed of ours vs ${report.baselineLabel}`, ...otherKeys.map((k) => `speed of ${k}`)];
  const lines = [
    `## ${report.name}`,
    '',
    report.description,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...report.rows.map((row) => {
      const cells = [
        `${row.metric} (${row.unit})`,
        fmt(row.baseline),
        fmt(row.ours),
        ...otherKeys.map((k) => fmt(row.others?.[k] ?? NaN)),
        `${fmt(speedRatio(row))}×`,
        ...otherKeys.map((k) => (row.others?.[k] === undefined ? 'n/a' : `${fmt(speedRatio(row, row.others[k]))}×`)),
      ];
      return `| ${cells.join(' | ')} |`;
    }),
    '',
    ...(report.notes ?? []).map((note) => `- ${note}`),
    '',
  ];
  return lines.join('\n');
}
