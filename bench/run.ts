/**
 * Runs every `bench/*.bench.ts` (compiled to dist/bench) in turn and writes bench/results.md.
 * `npm run bench -- exec` runs only the benchmarks whose file name contains "exec".
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Benchmark, BenchReport } from './lib/report';
import { renderReport } from './lib/report';

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.js'))
    .filter((file) => !filter || file.includes(filter))
    .sort();
  const reports: BenchReport[] = [];
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- benchmarks are found at run time
    const bench = (require(join(__dirname, file)) as { benchmark: Benchmark }).benchmark;
    process.stdout.write(`==> ${bench.name} ... `);
    const started = Date.now();
    try {
      const report = await bench.run();
      reports.push(report);
      console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(renderReport(report));
    } catch (error) {
      console.log('FAILED');
      console.error(error);
      process.exitCode = 1;
    }
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const doc = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} (${machine}). Every table measures our path and the raw baseline in the same run, alternating, on this machine. "speed" above 1× means faster than the baseline.`,
    '',
    ...reports.map(renderReport),
  ].join('\n');
  const target = resolve(__dirname, '../../bench', filter ? `results.${filter}.md` : 'results.md');
  writeFileSync(target, doc);
  console.log(`wrote ${target}`);
}

void main();
