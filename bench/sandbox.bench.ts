import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { docker, engineExec, startBenchManager } from './lib/container-manager';
import { type Benchmark, latencyRow } from './lib/report';
import { alternate, summarizeSequence } from './lib/stats';

const IMAGE = process.env.SANDBOX_IMAGE ?? 'sandbox-base:local';
const CREATES = 20;

/**
 * The sandbox path (hardened container, SQLite record, outbox, exec wrapper, in-sandbox file
 * operations) against the same work done with raw dockerode calls on the same image.
 */
export const benchmark: Benchmark = {
  name: 'Sandbox sessions, exec and files',
  async run() {
    const manager = await startBenchManager('cm-bench-');
    const { client, rawLabels: labels } = manager;
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
        await engineExec(container, ['true']);
        createRaw.push(performance.now() - t0);
        await container.remove({ force: true });
      }
      const oursCreate = summarizeSequence(createOurs);
      const rawCreate = summarizeSequence(createRaw);

      // 2 and 3: one session and one raw container, measured in alternating rounds.
      const id = randomUUID();
      const session = await client.createSession({ sessionId: id });
      const own = docker.getContainer(session.containerId!);
      const raw = await docker.createContainer({ Image: IMAGE, Labels: labels, HostConfig: { Init: true } });
      await raw.start();
      const execs = await alternate({ raw: () => engineExec(own, ['true']), ours: () => client.exec(id, { command: ['true'] }) }, 6, 10);
      const payload = Buffer.alloc(4096, 'x');
      const files = await alternate(
        {
          raw: async () => {
            await engineExec(own, ['sh', '-c', 'cat > /workspace/raw.txt'], payload);
            await engineExec(own, ['cat', '/workspace/raw.txt']);
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
      return {
        name: 'Sandbox: create → first exec, exec round trip, file write+read',
        description: `Our HTTP API (typed client → manager → Docker) against raw dockerode calls on the same image (${IMAGE}). Create: ${CREATES} sessions each; exec and files: 60 alternating samples each.`,
        baselineLabel: 'raw dockerode',
        oursLabel: 'container-manager',
        rows: [
          latencyRow('create → first exec', rawCreate, oursCreate, 'p50'),
          latencyRow('create → first exec', rawCreate, oursCreate, 'p95'),
          latencyRow('exec round trip (`true`)', execs.raw, execs.ours, 'p50'),
          latencyRow('exec round trip (`true`)', execs.raw, execs.ours, 'p95'),
          latencyRow('file write+read 4 KiB', files.raw, files.ours, 'p50'),
          latencyRow('file write+read 4 KiB', files.raw, files.ours, 'p95'),
        ],
        notes: [
          'Create includes what raw dockerode skips: image check, SQLite record + outbox row, workspace filesystem (sparse image, mkfs.ext4, loop mount for the disk quota), hardened config, network attach; delete is not timed.',
          'Our exec runs the command under a setsid wrapper with FIFO relays (process-group kill on timeout, background processes survive); the raw baseline is a bare Engine API exec.',
          'Our file write+read goes through path validation and an in-sandbox script (realpath confinement, temp file + rename); the baseline is `cat > f` then `cat f` execs.',
        ],
      };
    } finally {
      await manager.close();
    }
  },
};
