import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sandboxContainerSpec } from '../apps/container-manager/src/modules/sessions/container-spec';
import { WarmPool } from '../apps/container-manager/src/modules/sessions/warm-pool';
import { TemplatesService } from '../apps/container-manager/src/modules/templates/templates.service';
import { docker, engineExec, startBenchManager } from './lib/container-manager';
import { type Benchmark, latencyRow } from './lib/report';
import { summarizeSequence } from './lib/stats';

const ROUNDS = Number(process.env.POOL_BENCH_ROUNDS ?? 15);

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
    const manager = await startBenchManager('cm-bench-pool-', {
      GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000',
      GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000',
      WARM_POOL_SIZE: '1',
    });
    const { app, client, config, dataDir } = manager;
    const template = config.defaultTemplate;
    const image = app.app.get(TemplatesService).resolveForSession(template).image;
    const pool = app.app.get(WarmPool);
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
      const pooled = summarizeSequence(samples.pool);
      const rawSummary = summarizeSequence(samples.raw);
      return {
        name: 'Warm pool: create → first exec vs raw docker create + start + exec',
        description: `Ours: createSession (default template \`${template}\`, claimed from a warm pool of 1) then exec \`true\` through the agent, over HTTP. Raw: \`docker create\` + \`start\` of the same image with the same hardening (no agent, no workspace filesystem), then one Engine API exec. ${ROUNDS} of each, alternating; refill and deletes untimed.`,
        baselineLabel: 'raw docker',
        oursLabel: 'warm pool',
        rows: [
          latencyRow('create → first exec', rawSummary, pooled, 'p50'),
          latencyRow('create → first exec', rawSummary, pooled, 'p95'),
        ],
        notes: [`p50: warm pool ${pooled.p50.toFixed(1)} ms = ${(pooled.p50 / rawSummary.p50).toFixed(2)}× raw docker (${rawSummary.p50.toFixed(1)} ms); goal ≤ 0.3×.`],
      };
    } finally {
      await manager.close();
    }
  },
};
