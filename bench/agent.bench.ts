import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { FrameType } from '../apps/container-manager/src/repositories/sandbox-agent/agent-protocol';
import { SandboxAgentRepository } from '../apps/container-manager/src/repositories/sandbox-agent/sandbox-agent.repository';
import { docker, engineExec, startBenchManager } from './lib/container-manager';
import { type Benchmark, latencyRow } from './lib/report';
import { alternate, summarizeSequence } from './lib/stats';

const CREATES = 10;

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
    const autocommitOff = { GIT_AUTOCOMMIT_DEBOUNCE_MS: '600000', GIT_AUTOCOMMIT_MAX_WAIT_MS: '600000' };
    const withAgent = await startBenchManager('cm-bench-', autocommitOff);
    const withoutAgent = await startBenchManager('cm-bench-', { ...autocommitOff, SANDBOX_AGENT_BINARY: '' });
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
      const createAgent = summarizeSequence(create.agent);
      const createDocker = summarizeSequence(create.docker);
      return {
        name: 'Sandbox agent: exec round trip and files',
        description: `Our routes through the in-sandbox agent against the Docker paths, same run, alternating (exec: ${6 * 20} samples each; 4 KiB files: 60; 8 MiB files: 10; create: ${CREATES}).`,
        baselineLabel: 'Docker path',
        oursLabel: 'agent',
        rows: [
          latencyRow('exec `true`, our route vs a bare Engine API exec', execs.engine, execs.agent, 'p50'),
          latencyRow('exec `true`, our route vs a bare Engine API exec', execs.engine, execs.agent, 'p95'),
          latencyRow('exec `true`, our route: agent vs Docker exec wrapper', execs.docker, execs.agent, 'p50'),
          latencyRow('exec `true`, our route: agent vs Docker exec wrapper', execs.docker, execs.agent, 'p95'),
          latencyRow('agent round trip without HTTP (ping) vs Engine API exec', execs.engine, ping.ping, 'p50'),
          latencyRow('file write+read 4 KiB, agent vs Docker exec scripts', files.docker, files.agent, 'p50'),
          latencyRow('file write+read 4 KiB, agent vs Docker exec scripts', files.docker, files.agent, 'p95'),
          latencyRow('file write+read 8 MiB, agent vs Docker exec scripts', bigFiles.docker, bigFiles.agent, 'p50'),
          latencyRow('create → first exec, agent vs Docker exec', createDocker, createAgent, 'p50'),
        ],
        notes: [
          `Exec p50: agent route ${execs.agent.p50.toFixed(2)} ms = ${(execs.agent.p50 / execs.engine.p50).toFixed(3)}× a bare Engine API exec (${execs.engine.p50.toFixed(2)} ms); goal ≤ 0.15×.`,
          'The agent route includes the typed HTTP client, validation, the session lookup and the fork/exec of the command in the sandbox; the Engine API exec is the cheapest possible Docker exec (no wrapper, no output relay).',
          'The Docker exec wrapper is the path sandboxes without the agent still use (setsid + FIFO relays, process-group kill on timeout).',
        ],
      };
    } finally {
      await withAgent.close();
      await withoutAgent.close();
    }
  },
};
