import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { ContainerManagerClient } from '@sandbox/clients';
import { RunningApp, startTestApp } from '@sandbox/testing';
import { AppModule } from '../apps/container-manager/src/app.module';
import { MANAGER_LABEL } from '../apps/container-manager/src/common/paths';
import { ManagerConfig } from '../apps/container-manager/src/config/manager-config';
import { FrameType } from '../apps/container-manager/src/repositories/sandbox-agent/agent-protocol';
import { SandboxAgentRepository } from '../apps/container-manager/src/repositories/sandbox-agent/sandbox-agent.repository';
import { CONTAINER_MANAGER_SERVICE } from '../apps/container-manager/src/service';
import type { Benchmark } from './lib/report';
import { alternate, summarize, Summary } from './lib/stats';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const CREATES = 10;

/** A bare Engine API exec (create, start, read to the end, inspect): what one command costs through Docker. */
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

async function manager(key: string, dataDir: string, env: Record<string, string>): Promise<{ app: RunningApp; client: ContainerManagerClient; managerId: string }> {
  const app = await startTestApp(() => AppModule.forRoot(), { ...CONTAINER_MANAGER_SERVICE, configure: undefined }, {
    INTERNAL_SERVICE_KEY: key,
    DATA_DIR: dataDir,
    SANDBOX_TEST_LABEL: 'true',
    API_GATEWAY_URL: 'http://127.0.0.1:9',
    OUTBOX_BACKOFF_BASE_MS: '60000',
    GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000',
    GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  return { app, client: new ContainerManagerClient({ baseUrl: app.url, internalKey: key }), managerId: app.app.get(ManagerConfig).managerId };
}

/**
 * The in-sandbox agent against the paths it replaces, same run, alternating: a command's round trip
 * through our exec route (agent) against a bare Engine API exec into the same container and against
 * today's Docker exec route (a manager without the agent); file write+read through the agent against
 * that route; and the agent's own round trip without HTTP.
 */
export const benchmark: Benchmark = {
  name: 'Sandbox agent: exec and files',
  async run() {
    if (!process.env.SANDBOX_AGENT_BINARY) throw new Error('SANDBOX_AGENT_BINARY is not set (scripts/infra/up.sh builds the agent and writes it to stack.env)');
    const key = process.env.INTERNAL_SERVICE_KEY ?? 'bench-internal-key-0123456789';
    const dirs = [mkdtempSync(join(tmpdir(), 'cm-bench-')), mkdtempSync(join(tmpdir(), 'cm-bench-'))];
    const withAgent = await manager(key, dirs[0], {});
    const withoutAgent = await manager(key, dirs[1], { SANDBOX_AGENT_BINARY: '' });
    try {
      // create → first exec (both templates' default image), alternating, delete untimed.
      const create = { agent: [] as number[], docker: [] as number[] };
      for (let i = 0; i < CREATES; i++) {
        for (const [name, m] of [['agent', withAgent], ['docker', withoutAgent]] as const) {
          const id = randomUUID();
          const t0 = performance.now();
          await m.client.createSession({ sessionId: id });
          await m.client.exec(id, { command: ['true'] });
          create[name].push(performance.now() - t0);
          await m.client.deleteSession(id);
        }
      }
      const id = randomUUID();
      const session = await withAgent.client.createSession({ sessionId: id });
      const legacyId = randomUUID();
      await withoutAgent.client.createSession({ sessionId: legacyId });
      const container = docker.getContainer(session.containerId!);
      const execs = await alternate(
        {
          engine: () => engineExec(container, ['true']),
          agent: () => withAgent.client.exec(id, { command: ['true'] }),
          docker: () => withoutAgent.client.exec(legacyId, { command: ['true'] }),
        },
        6,
        20,
      );
      const connection = (await withAgent.app.app.get(SandboxAgentRepository).connection(id))!;
      const ping = await alternate({ ping: () => connection.call(FrameType.Ping, {}) }, 2, 200);
      const payload = Buffer.alloc(4096, 'x');
      const files = await alternate(
        {
          agent: async () => {
            await withAgent.client.writeFile(id, 'f.txt', payload);
            await withAgent.client.readFile(id, 'f.txt');
          },
          docker: async () => {
            await withoutAgent.client.writeFile(legacyId, 'f.txt', payload);
            await withoutAgent.client.readFile(legacyId, 'f.txt');
          },
        },
        6,
        10,
      );
      const big = Buffer.alloc(8 * 1024 * 1024, 'y');
      const bigFiles = await alternate(
        {
          agent: async () => {
            await withAgent.client.writeFile(id, 'big.bin', big);
            await withAgent.client.readFile(id, 'big.bin');
          },
          docker: async () => {
            await withoutAgent.client.writeFile(legacyId, 'big.bin', big);
            await withoutAgent.client.readFile(legacyId, 'big.bin');
          },
        },
        2,
        5,
      );
      await withAgent.client.deleteSession(id);
      await withoutAgent.client.deleteSession(legacyId);
      const createAgent = summarize(create.agent, create.agent.reduce((a, b) => a + b, 0));
      const createDocker = summarize(create.docker, create.docker.reduce((a, b) => a + b, 0));
      const row = (metric: string, base: Summary, ours: Summary, p: 'p50' | 'p95') => ({ metric: `${metric} ${p}`, unit: 'ms', baseline: base[p], ours: ours[p], better: 'lower' as const });
      return {
        name: 'Sandbox agent: exec round trip and files',
        description: `Our routes through the in-sandbox agent against the Docker paths, same run, alternating (exec: ${6 * 20} samples each; 4 KiB files: 60; 8 MiB files: 10; create: ${CREATES}).`,
        baselineLabel: 'Docker path',
        oursLabel: 'agent',
        rows: [
          row('exec `true`, our route vs a bare Engine API exec', execs.engine, execs.agent, 'p50'),
          row('exec `true`, our route vs a bare Engine API exec', execs.engine, execs.agent, 'p95'),
          row('exec `true`, our route: agent vs Docker exec wrapper', execs.docker, execs.agent, 'p50'),
          row('exec `true`, our route: agent vs Docker exec wrapper', execs.docker, execs.agent, 'p95'),
          row('agent round trip without HTTP (ping) vs Engine API exec', execs.engine, ping.ping, 'p50'),
          row('file write+read 4 KiB, agent vs Docker exec scripts', files.docker, files.agent, 'p50'),
          row('file write+read 4 KiB, agent vs Docker exec scripts', files.docker, files.agent, 'p95'),
          row('file write+read 8 MiB, agent vs Docker exec scripts', bigFiles.docker, bigFiles.agent, 'p50'),
          row('create → first exec, agent vs Docker exec', createDocker, createAgent, 'p50'),
        ],
        notes: [
          `Exec p50: agent route ${execs.agent.p50.toFixed(2)} ms = ${(execs.agent.p50 / execs.engine.p50).toFixed(3)}× a bare Engine API exec (${execs.engine.p50.toFixed(2)} ms); goal ≤ 0.15×.`,
          'The agent route includes the typed HTTP client, validation, the session lookup and the fork/exec of the command in the sandbox; the Engine API exec is the cheapest possible Docker exec (no wrapper, no output relay).',
          'The Docker exec wrapper is the path sandboxes without the agent still use (setsid + FIFO relays, process-group kill on timeout).',
        ],
      };
    } finally {
      for (const m of [withAgent, withoutAgent]) {
        await m.client.close();
        await m.app.close();
        const leftovers = await docker.listContainers({ all: true, filters: { label: [`${MANAGER_LABEL}=${m.managerId}`] } });
        await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      }
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  },
};
