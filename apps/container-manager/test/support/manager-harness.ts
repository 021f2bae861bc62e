import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ContainerManagerClient } from '@sandbox/clients';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { requireStackVar, RunningApp, startTestApp } from '@sandbox/testing';
import { AppModule } from '../../src/app.module';
import { MANAGER_LABEL } from '../../src/common/paths';
import { ManagerConfig } from '../../src/config/manager-config';
import { CONTAINER_MANAGER_SERVICE } from '../../src/service';
import { MANAGER_TEST_SERVICE } from './manager-service';

export interface ManagerHarness {
  app: RunningApp;
  url: string;
  key: string;
  dataDir: string;
  managerId: string;
  client: ContainerManagerClient;
  docker: Docker;
  /** Raw call with the internal key, for status codes and odd bodies. */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: unknown; raw: Buffer }>;
  close(): Promise<void>;
  /** Closes the app and removes this manager's containers and data directory. */
  destroy(): Promise<void>;
}

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'cm-test-'));
}

/** `previews`: with the preview gateway attached to the HTTP server, as in production. */
export async function startManager(env: Record<string, string> = {}, dataDir = makeDataDir(), options: { previews?: boolean } = {}): Promise<ManagerHarness> {
  const key = requireStackVar('INTERNAL_SERVICE_KEY');
  const app = await startTestApp(() => AppModule.forRoot(), options.previews ? CONTAINER_MANAGER_SERVICE : MANAGER_TEST_SERVICE, {
    DATA_DIR: dataDir,
    SANDBOX_TEST_LABEL: 'true',
    API_GATEWAY_URL: 'http://127.0.0.1:9',
    SANDBOX_DEFAULT_MEMORY_MB: '256',
    SANDBOX_STOP_TIMEOUT_S: '1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const managerId = app.app.get(ManagerConfig).managerId;
  const client = new ContainerManagerClient({ baseUrl: app.url, internalKey: key });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.close();
    await app.close();
  };
  return {
    app,
    url: app.url,
    key,
    dataDir,
    managerId,
    client,
    docker,
    async call(method, path, body, headers = {}) {
      const isBuffer = Buffer.isBuffer(body);
      const res = await request(`${app.url}${path}`, {
        method,
        headers: {
          [INTERNAL_KEY_HEADER]: key,
          ...(body === undefined ? {} : { 'content-type': isBuffer ? 'application/octet-stream' : 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : isBuffer ? body : JSON.stringify(body),
      });
      const raw = Buffer.from(await res.body.arrayBuffer());
      let json: unknown = null;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = null;
      }
      return { status: res.statusCode, json, raw };
    },
    close,
    async destroy() {
      await close();
      await removeManagedContainers(managerId);
      removeDataDir(dataDir);
    },
  };
}

export interface ManagerProcess {
  url: string;
  client: ContainerManagerClient;
  kill(): Promise<void>;
}

/** A real manager in a child process, so a test can SIGKILL it mid-operation. */
export async function spawnManager(dataDir: string, env: Record<string, string>): Promise<ManagerProcess> {
  const port = await freePort();
  const key = requireStackVar('INTERNAL_SERVICE_KEY');
  const child = spawn(process.execPath, ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', join(__dirname, 'ts-runner.ts'), join(__dirname, 'manager-main.ts')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, SANDBOX_TEST_LABEL: 'true', LOG_LEVEL: 'warn', INTERNAL_SERVICE_KEY: key, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await request(`${url}/health`).then((r) => (r.body.dump(), r.statusCode === 200), () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('manager child process did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const client = new ContainerManagerClient({ baseUrl: url, internalKey: key });
  return {
    url,
    client,
    async kill() {
      child.kill('SIGKILL');
      await exited;
      await client.close();
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function removeManagedContainers(managerId: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${MANAGER_LABEL}=${managerId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

export async function containersOfSession(sessionId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`sandbox.session-id=${sessionId}`] } });
}

/** One home for data-directory cleanup: libs/testing (other projects' tests need it too). */
import { removeDataDir } from '@sandbox/testing';
export { mountsUnder, removeDataDir } from '@sandbox/testing';
