import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDataDir } from './data-dir';
import { freePort, ServiceName, ServiceProcess, spawnService, waitForHealthy } from './service-process';
import { deleteRedisPrefix, removeManagerContainers } from './stack-cleanup';
import { requireStackVar } from './stack-env';

const SERVICES: readonly ServiceName[] = ['container-manager', 'worker-service', 'api-gateway'];

export interface PlatformProcesses {
  readonly services: Record<ServiceName, ServiceProcess>;
  readonly internalKey: string;
  readonly managerId: string;
  /** Replaces one service with a fresh process of the same configuration (after, say, a SIGKILL). */
  restart(name: ServiceName): Promise<void>;
  /** What each process printed, under its name; `tail` keeps only the last characters of each. */
  output(tail?: number): string;
  /** Stops the processes, removes this manager's containers, the queue's Redis keys and the data dir. */
  stop(): Promise<void>;
}

export interface PlatformProcessesOptions {
  /** Added to (or overriding) every service's environment. */
  common?: Record<string, string>;
  /** One service's own variables, over `common`. */
  services?: Partial<Record<ServiceName, Record<string, string>>>;
}

/**
 * The three services as real processes from dist/ (`npm run build`), against the real test database,
 * Redis and Docker engine, wired to each other on free loopback ports, with their own internal key,
 * data directory, queue prefix and manager id (so that cleanup touches nothing of another test).
 * `name` prefixes all of them. Resolves once every service answers /health.
 */
export async function startPlatformProcesses(name: string, options: PlatformProcessesOptions = {}): Promise<PlatformProcesses> {
  const ports = { 'api-gateway': await freePort(), 'worker-service': await freePort(), 'container-manager': await freePort() };
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const managerId = `${name}-${randomUUID().slice(0, 8)}`;
  const queuePrefix = `${name}-${randomUUID().slice(0, 8)}`;
  const common = {
    INTERNAL_SERVICE_KEY: `${name}-internal-${randomBytes(12).toString('hex')}`,
    DATABASE_URL: requireStackVar('TEST_DATABASE_URL'),
    REDIS_URL: requireStackVar('REDIS_URL'),
    DATA_DIR: dataDir,
    SANDBOX_TEST_LABEL: 'true',
    SANDBOX_MANAGER_ID: managerId,
    WORKER_QUEUE_PREFIX: queuePrefix,
    API_GATEWAY_URL: `http://127.0.0.1:${ports['api-gateway']}`,
    WORKER_SERVICE_URL: `http://127.0.0.1:${ports['worker-service']}`,
    CONTAINER_MANAGER_URL: `http://127.0.0.1:${ports['container-manager']}`,
    ...options.common,
  };
  const envOf = (service: ServiceName): Record<string, string> => ({ ...common, PORT: String(ports[service]), ...options.services?.[service] });
  const env = { 'container-manager': envOf('container-manager'), 'worker-service': envOf('worker-service'), 'api-gateway': envOf('api-gateway') };
  const services: Record<ServiceName, ServiceProcess> = {
    'container-manager': spawnService('container-manager', env['container-manager']),
    'worker-service': spawnService('worker-service', env['worker-service']),
    'api-gateway': spawnService('api-gateway', env['api-gateway']),
  };
  const stop = async () => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    removeManagerContainers(managerId);
    await deleteRedisPrefix(queuePrefix, common.REDIS_URL);
    removeDataDir(dataDir);
  };
  try {
    await Promise.all(SERVICES.map((service) => waitForHealthy(services[service], 60_000)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    services,
    internalKey: common.INTERNAL_SERVICE_KEY,
    managerId,
    restart: async (service) => {
      await services[service].stop('SIGKILL');
      services[service] = spawnService(service, env[service]);
      await waitForHealthy(services[service], 60_000);
    },
    output: (tail) => Object.values(services).map((service) => `--- ${service.name}\n${tail === undefined ? service.output() : service.output().slice(-tail)}`).join('\n'),
    stop,
  };
}
