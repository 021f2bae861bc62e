import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, removeDataDir, spawnService, waitForHealthy } from '@sandbox/testing';
import { startGateway, TestGateway } from './gateway';

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
 * The gateway in process and the real container-manager (built, from dist, with the test stack's
 * environment: images, network, agent) as a child process, wired to each other: real sandboxes, the
 * manager's outbox notifying the gateway's internal routes.
 */
export async function startGatewayWithManager(gatewayEnv: Record<string, string> = {}, managerEnv: Record<string, string> = {}): Promise<GatewayWithManager> {
  const managerPort = await freePort();
  const gateway = await startGateway({ CONTAINER_MANAGER_URL: `http://127.0.0.1:${managerPort}`, ...gatewayEnv });
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const manager = spawnService('container-manager', {
    ...inherited,
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
  });
  const close = async (sessionIds: string[]) => {
    for (const id of sessionIds) {
      try {
        execFileSync('docker', ['rm', '-f', `sandbox-session-${id}`], { stdio: 'ignore' });
      } catch {
        /* already removed */
      }
    }
    await manager.stop();
    await gateway.close();
    removeDataDir(dataDir);
  };
  try {
    await waitForHealthy(manager, 30_000);
  } catch (error) {
    await close([]);
    throw error;
  }
  return { gateway, managerLog: () => manager.output(), close };
}
