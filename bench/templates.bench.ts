import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ContainerManagerClient } from '@sandbox/clients';
import { startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/container-manager/src/app.module';
import { MANAGER_LABEL } from '../apps/container-manager/src/common/paths';
import { ManagerConfig } from '../apps/container-manager/src/config/manager-config';
import { CONTAINER_MANAGER_SERVICE } from '../apps/container-manager/src/service';
import type { Benchmark } from './lib/report';
import { summarize, Summary } from './lib/stats';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const DEV_IMAGE = process.env.SANDBOX_DEV_IMAGE ?? 'sandbox-dev:local';
const ROUNDS = 12;

/**
 * Session create → first exec per template: `dev` (Debian with toolchains, the default) and `base`
 * (busybox + Node) through the manager, against raw dockerode create + start + exec of the dev image.
 */
export const benchmark: Benchmark = {
  name: 'Templates: create → first exec on dev and base',
  async run() {
    const key = process.env.INTERNAL_SERVICE_KEY ?? 'bench-internal-key-0123456789';
    const dataDir = mkdtempSync(join(tmpdir(), 'cm-bench-templates-'));
    const app = await startTestApp(() => AppModule.forRoot(), { ...CONTAINER_MANAGER_SERVICE, configure: undefined }, {
      INTERNAL_SERVICE_KEY: key,
      DATA_DIR: dataDir,
      SANDBOX_TEST_LABEL: 'true',
      API_GATEWAY_URL: 'http://127.0.0.1:9',
      OUTBOX_BACKOFF_BASE_MS: '60000',
      LOG_LEVEL: 'silent',
    });
    const managerId = app.app.get(ManagerConfig).managerId;
    const client = new ContainerManagerClient({ baseUrl: app.url, internalKey: key });
    const labels = { 'sandbox.test': 'true', [MANAGER_LABEL]: managerId, 'sandbox.bench': 'raw' };
    const samples = { raw: [] as number[], dev: [] as number[], base: [] as number[] };
    const session = async (template: 'dev' | 'base') => {
      const id = randomUUID();
      const t0 = performance.now();
      await client.createSession({ sessionId: id, template });
      await client.exec(id, { command: ['true'] });
      samples[template].push(performance.now() - t0);
      await client.deleteSession(id);
    };
    const raw = async () => {
      const t0 = performance.now();
      const container = await docker.createContainer({ Image: DEV_IMAGE, User: '1000:1000', Labels: labels, HostConfig: { Init: true } });
      await container.start();
      const exec = await container.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      await new Promise<void>((resolve, reject) => {
        stream.on('data', () => undefined);
        stream.once('end', () => resolve());
        stream.once('close', () => resolve());
        stream.once('error', reject);
      });
      await exec.inspect();
      samples.raw.push(performance.now() - t0);
      await container.remove({ force: true });
    };
    try {
      for (let i = 0; i < ROUNDS; i++) {
        // Rotate the order so no contender always runs right after the same other one.
        const order = [raw, () => session('dev'), () => session('base')];
        for (let k = 0; k < order.length; k++) await order[(i + k) % order.length]();
      }
      const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
      const stats = { raw: summarize(samples.raw, sum(samples.raw)), dev: summarize(samples.dev, sum(samples.dev)), base: summarize(samples.base, sum(samples.base)) };
      const row = (p: keyof Pick<Summary, 'p50' | 'p95'>) => ({
        metric: `create → first exec ${p}`,
        unit: 'ms',
        baseline: stats.raw[p],
        ours: stats.dev[p],
        others: { 'template base': stats.base[p] },
        better: 'lower' as const,
      });
      return {
        name: 'Templates: create → first exec on dev and base',
        description: `${ROUNDS} creates per contender, rotating: a session on the \`dev\` template and on \`base\` through the manager's HTTP API, and raw dockerode create + start + exec of the dev image (${DEV_IMAGE}).`,
        baselineLabel: 'raw dockerode (dev image)',
        oursLabel: 'template dev',
        rows: [row('p50'), row('p95')],
        notes: [
          'The image size does not enter a create: Docker adds a thin writable layer on top of the image whatever its size; both templates pay the same SQLite record, workspace filesystem (mkfs + loop mount), hardened config and network attach.',
          'Delete is not timed.',
        ],
      };
    } finally {
      await client.close();
      await app.close();
      const left = await docker.listContainers({ all: true, filters: { label: [`${MANAGER_LABEL}=${managerId}`] } });
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
