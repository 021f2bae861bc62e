import autocannon from 'autocannon';
import Docker from 'dockerode';
import { spawn, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, freePort, spawnService, waitForHealthy } from '@sandbox/testing';
import { dockerOptions } from '../apps/container-manager/src/repositories/docker.repository';
import { SandboxFixture } from '../apps/container-manager/test/support/sandbox-fixture';
import { fixedRateLatency } from './lib/fixed-rate';
import { childPids, processCpuMicros } from './lib/process-cpu';
import type { ReferenceProxyKind } from './lib/reference-proxies';
import type { Benchmark } from './lib/report';

const ROUNDS = Number(process.env.PREVIEW_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.PREVIEW_BENCH_SECONDS ?? 5);
const CONNECTIONS = 50;
const FIXED_RATE = 1000;
const UPSTREAM_PORT = 3000;

type Contender = 'direct' | 'ours' | 'nginx' | ReferenceProxyKind;
/** The process doing the proxying for a contender, whose CPU time is measured (none for direct). */
type ProxyPids = Partial<Record<Contender, number>>;
interface Target {
  url: string;
  headers: Record<string, string>;
}
interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the proxy process per request, in microseconds (NaN for direct). */
  cpuPerRequest: number;
}

/** nginx (Debian's nginx-light) as an equivalent reverse proxy: one worker, keep-alive upstream, no buffering. */
async function startNginx(upstream: string, port: number): Promise<{ process: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream sandbox { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://sandbox;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Internal-Service-Key "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`,
  );
  const child = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await answers(port)) return { process: child, dir };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error('nginx did not start');
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/plain' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function load(target: Target, options: { connections: number; pid?: number }): Promise<Sample> {
  const cpuBefore = options.pid === undefined ? NaN : processCpuMicros(options.pid);
  const result = await autocannon({ url: target.url, headers: target.headers, connections: options.connections, duration: SECONDS });
  const cpu = options.pid === undefined ? NaN : processCpuMicros(options.pid) - cpuBefore;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx, cpuPerRequest: cpu / Math.max(1, result.requests.total) };
}

/** Starts one of the reference proxies (bench/lib/reference-proxies.ts) as its own process. */
async function startReference(kind: ReferenceProxyKind, port: number, upstreamHost: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/bench/lib/reference-proxies.js'), kind, String(port), upstreamHost, String(UPSTREAM_PORT)], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await answers(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`${kind} reference proxy did not start`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * The same tiny upstream (a Node server in a real sandbox, `GET /plain` → 2 bytes) reached directly on
 * the container address, through the manager's preview proxy (host form), through nginx configured as
 * an equivalent reverse proxy, and through two reference proxies that show what Node itself costs
 * (bench/lib/reference-proxies.ts). Contenders alternate within each round; the CPU time of each
 * proxying process is read from /proc around every throughput run.
 */
export const benchmark: Benchmark = {
  name: 'Preview proxy vs nginx',
  async run() {
    const key = 'bench-internal-key-0123456789';
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-previews-'));
    const docker = new Docker(dockerOptions(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'));
    const sessionId = randomUUID();
    // The manager runs as its own process (as in production, and like nginx here), so the proxy does
    // not share a thread with autocannon, which runs in this process for all three contenders.
    const managerPort = await freePort();
    const manager = spawnService('container-manager', {
      PORT: String(managerPort),
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      INTERNAL_SERVICE_KEY: key,
      LOG_LEVEL: 'silent',
      API_GATEWAY_URL: `http://127.0.0.1:${await freePort()}`,
    });
    await waitForHealthy(manager);
    const app = { url: manager.url, port: managerPort, close: async () => void (await manager.stop()) };
    const sandbox = await SandboxFixture.create(docker, sessionId);
    let nginx: { process: ChildProcess; dir: string } | undefined;
    const references: ChildProcess[] = [];
    try {
      await sandbox.serve(UPSTREAM_PORT, 'bench');
      const registered = await fetch(`${app.url}/api/internal/sessions/${sessionId}/previews`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-service-key': key },
        body: JSON.stringify({ port: UPSTREAM_PORT }),
      });
      if (registered.status !== 201) throw new Error(`registration failed: ${registered.status} ${await registered.text()}`);
      const nginxPort = await freePort();
      nginx = await startNginx(`${sandbox.ip}:${UPSTREAM_PORT}`, nginxPort);
      const floorPort = await freePort();
      const relayPort = await freePort();
      references.push(await startReference('node-http', floorPort, sandbox.ip), await startReference('tcp-relay', relayPort, sandbox.ip));
      const previewHost = `${UPSTREAM_PORT}-${sessionId}.preview.localhost:${app.port}`;
      const targets: Record<Contender, Target> = {
        direct: { url: `http://${sandbox.ip}:${UPSTREAM_PORT}/plain`, headers: {} },
        ours: { url: `http://127.0.0.1:${app.port}/plain`, headers: { host: previewHost } },
        nginx: { url: `http://127.0.0.1:${nginxPort}/plain`, headers: { host: previewHost } },
        'node-http': { url: `http://127.0.0.1:${floorPort}/plain`, headers: { host: previewHost } },
        'tcp-relay': { url: `http://127.0.0.1:${relayPort}/plain`, headers: { host: previewHost } },
      };
      const pids: ProxyPids = {
        ours: manager.child.pid,
        // nginx does its work in the worker process forked by the master we started.
        nginx: childPids(nginx.process.pid ?? 0)[0],
        'node-http': references[0].pid,
        'tcp-relay': references[1].pid,
      };
      const order: Contender[] = ['direct', 'ours', 'nginx', 'node-http', 'tcp-relay'];
      const throughput = Object.fromEntries(order.map((contender) => [contender, [] as Sample[]])) as Record<Contender, Sample[]>;
      const fixed = Object.fromEntries(order.map((contender) => [contender, [] as Sample[]])) as Record<Contender, Sample[]>;
      for (const contender of order) await load(targets[contender], { connections: 10 }); // warm-up (JIT, pools)
      for (let round = 0; round < ROUNDS; round++) {
        const sequence = round % 2 === 0 ? order : [...order].reverse();
        for (const contender of sequence) throughput[contender].push(await load(targets[contender], { connections: CONNECTIONS, pid: pids[contender] }));
        for (const contender of sequence) {
          const latency = await fixedRateLatency({ ...targets[contender], rate: FIXED_RATE, seconds: SECONDS, warmupSeconds: 1, connections: 10 });
          fixed[contender].push({ rps: FIXED_RATE, p50: latency.p50, p99: latency.p99, errors: latency.errors, cpuPerRequest: NaN });
        }
      }
      const stat = (samples: Record<Contender, Sample[]>, field: keyof Sample) =>
        Object.fromEntries(order.map((contender) => [contender, median(samples[contender].map((sample) => sample[field]))])) as Record<Contender, number>;
      const rps = stat(throughput, 'rps');
      const p50 = stat(fixed, 'p50');
      const p99 = stat(fixed, 'p99');
      const cpu = stat(throughput, 'cpuPerRequest');
      const others = (values: Record<Contender, number>) => ({ nginx: values.nginx, 'Node floor': values['node-http'], 'Node TCP relay': values['tcp-relay'] });
      const micros = (contender: Contender) => `${cpu[contender].toFixed(1)} µs`;
      const errors = order.map((contender) => `${contender} ${[...throughput[contender], ...fixed[contender]].reduce((sum, sample) => sum + sample.errors, 0)}`).join(', ');
      return {
        name: 'Preview proxy vs nginx (same sandbox upstream)',
        description: `GET /plain (2-byte body) on a Node server in a real sandbox; the manager, nginx and the two reference proxies each run as their own process, autocannon in the bench process. Throughput: ${CONNECTIONS} connections, ${SECONDS} s per contender per round; latency: fixed ${FIXED_RATE} req/s over a 10-connection keep-alive pool for ${SECONDS} s, the first second dropped, timed per request with performance.now() from a worker thread of its own, so the bench process's garbage collections do not delay the requests it times (bench/lib/fixed-rate.ts). ${ROUNDS} rounds, contenders alternating, medians reported. nginx: 1 worker, keepalive upstream, buffering off. References: "Node floor" is the least a Node HTTP proxy can do with our building blocks (node:http server + undici Pool, no routing, no checks, headers passed as they are); "Node TCP relay" copies bytes between one client and one upstream socket without reading HTTP.`,
        baselineLabel: 'direct',
        oursLabel: 'our proxy',
        rows: [
          { metric: `throughput @${CONNECTIONS} conns`, unit: 'req/s', baseline: rps.direct, ours: rps.ours, others: others(rps), better: 'higher' },
          { metric: `p50 latency @${FIXED_RATE} req/s`, unit: 'ms', baseline: p50.direct, ours: p50.ours, others: others(p50), better: 'lower' },
          { metric: `p99 latency @${FIXED_RATE} req/s`, unit: 'ms', baseline: p99.direct, ours: p99.ours, others: others(p99), better: 'lower' },
        ],
        notes: [
          `req/s ratio vs direct: ours ${(rps.ours / rps.direct).toFixed(2)}, nginx ${(rps.nginx / rps.direct).toFixed(2)} (goal: ours ≥ nginx); Node floor ${(rps['node-http'] / rps.direct).toFixed(2)}, Node TCP relay ${(rps['tcp-relay'] / rps.direct).toFixed(2)}.`,
          `proxy CPU per request @${CONNECTIONS} conns (user + system time of the proxying process over the run ÷ requests): ours ${micros('ours')}, nginx ${micros('nginx')}, Node floor ${micros('node-http')}, Node TCP relay ${micros('tcp-relay')}. Every process here (autocannon, proxy, sandbox server) shares 2 cores, so throughput falls as the proxy's CPU per request grows; ours costs ${(cpu.ours / cpu['node-http']).toFixed(2)}× the Node floor.`,
          `added latency @${FIXED_RATE} req/s: ours p50 +${(p50.ours - p50.direct).toFixed(2)} ms, p99 +${(p99.ours - p99.direct).toFixed(2)} ms; nginx p50 +${(p50.nginx - p50.direct).toFixed(2)} ms, p99 +${(p99.nginx - p99.direct).toFixed(2)} ms.`,
          `added p99 latency, ours ÷ nginx's: ${((p99.ours - p99.direct) / (p99.nginx - p99.direct)).toFixed(2)}× (goal: at most 2×); the Node floor's ${((p99['node-http'] - p99.direct) / (p99.nginx - p99.direct)).toFixed(2)}×.`,
          `per-round p99 (ms): ${order.map((contender) => `${contender} [${fixed[contender].map((sample) => sample.p99.toFixed(2)).join(', ')}]`).join('; ')}.`,
          `errors and non-2xx responses: ${errors}.`,
          `per-round req/s: ${order.map((contender) => `${contender} [${throughput[contender].map((sample) => sample.rps.toFixed(0)).join(', ')}]`).join('; ')}.`,
        ],
      };
    } finally {
      for (const child of references) await stopProcess(child);
      if (nginx) {
        if (nginx.process.exitCode === null && nginx.process.signalCode === null) {
          const exited = new Promise((resolve) => nginx!.process.once('exit', resolve));
          nginx.process.kill('SIGTERM');
          await exited; // nginx removes its pid file on exit: only then is the directory ours to delete
        }
        rmSync(nginx.dir, { recursive: true, force: true });
      }
      await app.close();
      await sandbox.remove();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
