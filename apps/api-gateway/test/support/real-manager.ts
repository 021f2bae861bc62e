import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { REPO_ROOT } from '@sandbox/testing';
import { startGateway, TestGateway } from './gateway';

const MANAGER_MAIN = join(REPO_ROOT, 'dist/apps/container-manager/src/main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Bounded polling for what the platform does asynchronously (outbox deliveries, container starts). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, attempts = 240, delayMs = 250): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    value = await read();
  }
  return value;
}

export interface GatewayWithManager {
  gateway: TestGateway;
  managerLog(): string;
  /** Stops the manager, removes the test containers of `sessionIds` and the data dir, closes the gateway. */
  close(sessionIds: string[]): Promise<void>;
}

/**
 * The gateway in process and the real container-manager (built, from dist) as a child process, wired
 * to each other: real sandboxes, the manager's outbox notifying the gateway's internal routes.
 */
export async function startGatewayWithManager(gatewayEnv: Record<string, string> = {}, managerEnv: Record<string, string> = {}): Promise<GatewayWithManager> {
  if (!existsSync(MANAGER_MAIN)) throw new Error(`${MANAGER_MAIN} is missing: build first (npm test does: node scripts/build.mjs)`);
  const managerPort = await freePort();
  const gateway = await startGateway({ CONTAINER_MANAGER_URL: `http://127.0.0.1:${managerPort}`, ...gatewayEnv });
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
  let log = '';
  const manager: ChildProcess = spawn(process.execPath, [MANAGER_MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(managerPort),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      API_GATEWAY_URL: gateway.url,
      INTERNAL_SERVICE_KEY: gateway.internalKey,
      SANDBOX_TEST_LABEL: 'true',
      LOG_LEVEL: 'warn',
      OUTBOX_BACKOFF_BASE_MS: '100',
      OUTBOX_POLL_MS: '100',
      ...managerEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  manager.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  manager.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const close = async (sessionIds: string[]) => {
    for (const id of sessionIds) {
      try {
        execFileSync('docker', ['rm', '-f', `sandbox-session-${id}`], { stdio: 'ignore' });
      } catch {
        /* already removed */
      }
    }
    if (manager.exitCode === null) {
      const exited = new Promise((resolve) => manager.once('exit', resolve));
      manager.kill('SIGTERM');
      await exited;
    }
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const healthy = await eventually(
    async () => {
      if (manager.exitCode !== null) return false;
      try {
        const res = await request(`http://127.0.0.1:${managerPort}/health`);
        await res.body.dump();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    },
    (ok) => ok || manager.exitCode !== null,
    120,
  );
  if (!healthy) {
    await close([]);
    throw new Error(`container-manager did not become healthy:\n${log.slice(-4000)}`);
  }
  return { gateway, managerLog: () => log, close };
}
