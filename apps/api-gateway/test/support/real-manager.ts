import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, removeDataDir, removeManagerContainers, spawnService, waitForHealthy } from '@sandbox/testing';
import { gql, startGateway, TestGateway } from './gateway';

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
  /** Stops the manager, removes its containers and template images and its data dir, closes the gateway. */
  close(): Promise<void>;
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
  const managerId = `gateway-e2e-${randomUUID().slice(0, 8)}`;
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
    // Labels every container and template image of this manager, so that `close` finds them all.
    SANDBOX_MANAGER_ID: managerId,
  });
  const close = async () => {
    await manager.stop();
    removeManagerContainers(managerId);
    for (const image of new Set(execFileSync('docker', ['images', '-q', '--filter', `label=sandbox.manager-id=${managerId}`]).toString().split('\n').filter(Boolean))) {
      try {
        execFileSync('docker', ['rmi', '-f', image], { stdio: 'ignore' });
      } catch {
        /* shared with another image, or already gone */
      }
    }
    await gateway.close();
    removeDataDir(dataDir);
  };
  try {
    await waitForHealthy(manager, 60_000);
  } catch (error) {
    await close();
    throw error;
  }
  return { gateway, managerLog: () => manager.output(), close };
}

/** A new session of the holder of `key`, created by `mutation` (answering `createSession { id }`), once it is ACTIVE. */
export async function activeSession(stack: GatewayWithManager, key: string, mutation = 'mutation { createSession { id } }'): Promise<string> {
  const created = await gql<{ createSession?: { id: string } }>(stack.gateway, key, mutation);
  const id = created.data?.createSession?.id;
  if (!id) throw new Error(`createSession failed: ${JSON.stringify(created.errors)}`);
  const status = await eventually(() => stack.gateway.statusOf(id), (s) => s === 'ACTIVE' || s === 'ERROR');
  if (status !== 'ACTIVE') throw new Error(`session ended ${status}; manager log:\n${stack.managerLog().slice(-4000)}`);
  return id;
}
