import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { ContainerManagerClient } from '@sandbox/clients';
import { startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/container-manager/src/app.module';
import { MANAGER_LABEL } from '../apps/container-manager/src/common/paths';
import { ManagerConfig } from '../apps/container-manager/src/config/manager-config';
import { CONTAINER_MANAGER_SERVICE } from '../apps/container-manager/src/service';
import type { Benchmark } from './lib/report';
import { alternate, summarize, Summary } from './lib/stats';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const IMAGE = process.env.SANDBOX_IMAGE ?? 'sandbox-base:local';
const CREATES = 20;

/** Raw Engine API exec (create, start, read until the stream ends, inspect): the baseline of every row. */
async function rawExec(container: Docker.Container, cmd: string[], stdin?: Buffer): Promise<Buffer> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: stdin !== undefined, User: '1000:1000' });
  const stream = await exec.start({ hijack: true, stdin: stdin !== undefined });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  docker.modem.demuxStream(stream, out, new PassThrough().resume());
  await new Promise<void>((resolve, reject) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', reject);
    if (stdin !== undefined) {
      stream.write(stdin);
      stream.end();
    }
  });
  await exec.inspect();
  return Buffer.concat(chunks);
}

/**
 * The sandbox path (hardened container, SQLite record, outbox, exec wrapper, in-sandbox file
 * operations) against the same work done with raw dockerode calls on the same image.
 */
export const benchmark: Benchmark = {
  name: 'Sandbox sessions, exec and files',
  async run() {
    const key = process.env.INTERNAL_SERVICE_KEY ?? 'bench-internal-key-0123456789';
    const dataDir = mkdtempSync(join(tmpdir(), 'cm-bench-'));
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
    const rawContainers: Docker.Container[] = [];
    try {
      // 1. create → first exec, alternating, cleanup untimed.
      const createOurs: number[] = [];
      const createRaw: number[] = [];
      for (let i = 0; i < CREATES; i++) {
        const id = randomUUID();
        let t0 = performance.now();
        await client.createSession({ sessionId: id });
        await client.exec(id, { command: ['true'] });
        createOurs.push(performance.now() - t0);
        await client.deleteSession(id);
        t0 = performance.now();
        const container = await docker.createContainer({ Image: IMAGE, Labels: labels, HostConfig: { Init: true } });
        await container.start();
        await rawExec(container, ['true']);
        createRaw.push(performance.now() - t0);
        await container.remove({ force: true });
      }
      const oursCreate = summarize(createOurs, createOurs.reduce((a, b) => a + b, 0));
      const rawCreate = summarize(createRaw, createRaw.reduce((a, b) => a + b, 0));

      // 2 and 3: one session and one raw container, measured in alternating rounds.
      const id = randomUUID();
      const session = await client.createSession({ sessionId: id });
      const own = docker.getContainer(session.containerId!);
      const raw = await docker.createContainer({ Image: IMAGE, Labels: labels, HostConfig: { Init: true } });
      rawContainers.push(raw);
      await raw.start();
      const execs = await alternate({ raw: () => rawExec(own, ['true']), ours: () => client.exec(id, { command: ['true'] }) }, 6, 10);
      const payload = Buffer.alloc(4096, 'x');
      const files = await alternate(
        {
          raw: async () => {
            await rawExec(own, ['sh', '-c', 'cat > /workspace/raw.txt'], payload);
            await rawExec(own, ['cat', '/workspace/raw.txt']);
          },
          ours: async () => {
            await client.writeFile(id, 'ours.txt', payload);
            await client.readFile(id, 'ours.txt');
          },
        },
        6,
        10,
      );
      await client.deleteSession(id);
      const row = (metric: string, base: Summary, ours: Summary, p: 'p50' | 'p95') => ({ metric: `${metric} ${p}`, unit: 'ms', baseline: base[p], ours: ours[p], better: 'lower' as const });
      return {
        name: 'Sandbox: create → first exec, exec round trip, file write+read',
        description: `Our HTTP API (typed client → manager → Docker) against raw dockerode calls on the same image (${IMAGE}). Create: ${CREATES} sessions each; exec and files: 60 alternating samples each.`,
        baselineLabel: 'raw dockerode',
        oursLabel: 'container-manager',
        rows: [
          row('create → first exec', rawCreate, oursCreate, 'p50'),
          row('create → first exec', rawCreate, oursCreate, 'p95'),
          row('exec round trip (`true`)', execs.raw, execs.ours, 'p50'),
          row('exec round trip (`true`)', execs.raw, execs.ours, 'p95'),
          row('file write+read 4 KiB', files.raw, files.ours, 'p50'),
          row('file write+read 4 KiB', files.raw, files.ours, 'p95'),
        ],
        notes: [
          'Create includes what raw dockerode skips: image check, SQLite record + outbox row, workspace filesystem (sparse image, mkfs.ext4, loop mount for the disk quota), hardened config, network attach; delete is not timed.',
          'Our exec runs the command under a setsid wrapper with FIFO relays (process-group kill on timeout, background processes survive); the raw baseline is a bare Engine API exec.',
          'Our file write+read goes through path validation and an in-sandbox script (realpath confinement, temp file + rename); the baseline is `cat > f` then `cat f` execs.',
        ],
      };
    } finally {
      await Promise.all(rawContainers.map((c) => c.remove({ force: true }).catch(() => undefined)));
      await client.close();
      await app.close();
      const leftovers = await docker.listContainers({ all: true, filters: { label: [`${MANAGER_LABEL}=${managerId}`] } });
      await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
