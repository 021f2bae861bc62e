import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readStackEnv, REPO_ROOT } from './stack-env';

export type ServiceName = 'api-gateway' | 'worker-service' | 'container-manager';

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code (or the signal that ended it) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

/** A free loopback port (the OS picks it; the tiny race before reuse is acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Runs a built service (`dist/apps/<name>/src/main.js`, built by the test command) as a real process,
 * with exactly `env` plus PATH, LOG_LEVEL and the stack's WEBHOOK_ALLOW_PRIVATE_TARGETS and
 * MCP_ALLOW_PRIVATE_TARGETS: every gateway of a test run shares the test database and so sends any
 * test's webhook deliveries, whose receivers listen on loopback (docs/webhooks.md), as do the MCP
 * servers tests run. A test of the refusal passes `false` in `env`.
 */
export function spawnService(name: ServiceName, env: Record<string, string>): ServiceProcess {
  const stack = readStackEnv();
  const privateTargets = Object.fromEntries(
    (['WEBHOOK_ALLOW_PRIVATE_TARGETS', 'MCP_ALLOW_PRIVATE_TARGETS'] as const).flatMap((key) => (stack[key] ? [[key, stack[key]]] : [])),
  );
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/apps', name, 'src/main.js')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...privateTargets, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const port = Number(env.PORT);
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `url` until it answers 2xx, or fails with the process output after `timeoutMs`. */
export async function waitForHealthy(service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited early:\n${service.output()}`);
    try {
      const response = await fetch(`${service.url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} not healthy after ${timeoutMs} ms:\n${service.output()}`);
}
