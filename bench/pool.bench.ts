import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { ContainerManagerClient } from '@sandbox/clients';
import { startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/container-manager/src/app.module';
import { MANAGER_LABEL } from '../apps/container-manager/src/common/paths';
import { ManagerConfig } from '../apps/container-manager/src/config/manager-config';
import { sandboxContainerSpec } from '../apps/container-manager/src/modules/sessions/container-spec';
import { WarmPool } from '../apps/container-manager/src/modules/sessions/warm-pool';
import { TemplatesService } from '../apps/container-manager/src/modules/templates/templates.service';
import { CONTAINER_MANAGER_SERVICE } from '../apps/container-manager/src/service';
import type { Benchmark } from './lib/report';
import { summarize } from './lib/stats';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const ROUNDS = Number(process.env.POOL_BENCH_ROUNDS ?? 15);

/** A bare Engine API exec (create, start, read to the end, inspect). */
async function engineExec(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: '1000:1000' });
  const stream = await exec.start({ hijack: true, stdin: false });
  docker.modem.demuxStream(stream, new PassThrough().resume(), new PassThrough().resume());
  await new Promise<void>((resolve, reject) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', reject);
  });
  await exec.inspect();
}

/**
 * create → first exec of a session claimed from the warm pool (POST /sessions, then POST .../exec
 * `true`: own quota workspace mounted on the slot, rename, agent re-keyed, SQLite and outbox rows,
 * git repository initialised) against the raw Docker floor of a new sandbox: `docker create` + `start`
 * of the same image with the same hardening, then one Engine API exec. Same run, alternating; the
 * pool refills (and the sessions are deleted) between iterations, untimed.
 */
export const benchmark: Benchmark = {
  name: 'Warm pool: create → first exec',
  async run() {
    if (!process.env.SANDBOX_AGENT_BINARY) throw new Error('SANDBOX_AGENT_BINARY is not set (scripts/infra/up.sh builds the agent and writes it to stack.env)');
    const key = process.env.INTERNAL_SERVICE_KEY ?? 'bench-internal-key-0123456789';
    const dataDir = mkdtempSync(join(tmpdir(), 'cm-bench-pool-'));
    const app = await startTestApp(() => AppModule.forRoot(), { ...CONTAINER_MANAGER_SERVICE, configure: undefined }, {
      INTERNAL_SERVICE_KEY: key,
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      API_GATEWAY_URL: 'http://127.0.0.1:9',
      OUTBOX_BACKOFF_BASE_MS: '60000',
      GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000',
      GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000',
      WARM_POOL_SIZE: '1',
      LOG_LEVEL: 'silent',
    });
    const config = app.app.get(ManagerConfig);
    const template = config.defaultTemplate;
    const image = app.app.get(TemplatesService).resolveForSession(template).image;
    const pool = app.app.get(WarmPool);
    const client = new ContainerManagerClient({ baseUrl: app.url, internalKey: key });
    const rawWorkspace = join(dataDir, 'raw-workspace');
    mkdirSync(rawWorkspace);
    const poolReady = async () => {
      for (let i = 0; i < 600 && (pool.counts()[template] ?? 0) < 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      if ((pool.counts()[template] ?? 0) < 1) throw new Error('the warm pool did not refill');
    };
    const samples = { pool: [] as number[], raw: [] as number[] };
    try {
      const ours = async (timed: boolean) => {
        await poolReady();
        // Let the refill's container start settle, as it would between two creates of real traffic.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const id = randomUUID();
        const t0 = performance.now();
        const session = await client.createSession({ sessionId: id, template });
        await client.exec(id, { command: ['true'] });
        if (timed) samples.pool.push(performance.now() - t0);
        if (session.containerId === null) throw new Error('no container');
        await client.deleteSession(id);
      };
      const raw = async (timed: boolean) => {
        const spec = sandboxContainerSpec({
          sessionId: randomUUID(),
          image,
          workspaceHostPath: rawWorkspace,
          env: {},
          cpu: config.defaultCpu,
          memoryMb: config.defaultMemoryMb,
          network: config.network,
          pidsLimit: config.pidsLimit,
          tmpfsMb: config.tmpfsMb,
          logMaxSize: config.logMaxSize,
          managerId: config.managerId,
          testLabel: true,
        });
        const t0 = performance.now();
        const container = await docker.createContainer(spec);
        await container.start();
        await engineExec(container, ['true']);
        if (timed) samples.raw.push(performance.now() - t0);
        await container.remove({ force: true });
      };
      await ours(false);
      await raw(false);
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          await ours(true);
          await raw(true);
        } else {
          await raw(true);
          await ours(true);
        }
      }
      const pooled = summarize(samples.pool, 1);
      const rawSummary = summarize(samples.raw, 1);
      return {
        name: 'Warm pool: create → first exec vs raw docker create + start + exec',
        description: `Ours: createSession (default template \`${template}\`, claimed from a warm pool of 1) then exec \`true\` through the agent, over HTTP. Raw: \`docker create\` + \`start\` of the same image with the same hardening (no agent, no workspace filesystem), then one Engine API exec. ${ROUNDS} of each, alternating; refill and deletes untimed.`,
        baselineLabel: 'raw docker',
        oursLabel: 'warm pool',
        rows: [
          { metric: 'create → first exec p50', unit: 'ms', baseline: rawSummary.p50, ours: pooled.p50, better: 'lower' },
          { metric: 'create → first exec p95', unit: 'ms', baseline: rawSummary.p95, ours: pooled.p95, better: 'lower' },
        ],
        notes: [`p50: warm pool ${pooled.p50.toFixed(1)} ms = ${(pooled.p50 / rawSummary.p50).toFixed(2)}× raw docker (${rawSummary.p50.toFixed(1)} ms); goal ≤ 0.3×.`],
      };
    } finally {
      await client.close();
      await app.close();
      const leftovers = await docker.listContainers({ all: true, filters: { label: [`${MANAGER_LABEL}=${config.managerId}`] } });
      await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      // The pool's shared mount point and any volume still mounted, deepest first.
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[4] ?? '')
        .filter((point) => point.startsWith(`${dataDir}/`))
        .sort((a, b) => b.length - a.length);
      for (const point of mounts) execFileSync('umount', ['-l', point]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
