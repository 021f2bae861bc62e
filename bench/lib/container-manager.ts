import Docker from 'dockerode';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ContainerManagerClient } from '@sandbox/clients';
import { removeDataDir, RunningApp, startTestApp } from '@sandbox/testing';
import { AppModule } from '../../apps/container-manager/src/app.module';
import { MANAGER_LABEL } from '../../apps/container-manager/src/common/paths';
import { ManagerConfig } from '../../apps/container-manager/src/config/manager-config';
import { CONTAINER_MANAGER_SERVICE } from '../../apps/container-manager/src/service';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });
export const BENCH_INTERNAL_KEY = process.env.INTERNAL_SERVICE_KEY ?? 'bench-internal-key-0123456789';

/**
 * A bare Engine API exec as user 1000 (create, start, read until the stream ends, inspect): what one
 * command costs through Docker, the baseline the manager's exec paths are measured against. Resolves
 * with the command's stdout; `stdin`, when given, is written and closed first.
 */
export async function engineExec(container: Docker.Container, cmd: string[], stdin?: Buffer): Promise<Buffer> {
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

export interface BenchManager {
  app: RunningApp;
  client: ContainerManagerClient;
  config: ManagerConfig;
  dataDir: string;
  /** Labels for raw baseline containers: test-labelled and this manager's, so `close` removes them too. */
  rawLabels: Record<string, string>;
  /** Closes the client and the app, removes every container of this manager, unmounts and deletes the data dir. */
  close(): Promise<void>;
}

/**
 * The container-manager in process on a fresh data dir (`prefix` names it), silent, its outbox
 * notifications going nowhere and retried rarely; `env` adds to or overrides that.
 */
export async function startBenchManager(prefix: string, env: Record<string, string> = {}): Promise<BenchManager> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const app = await startTestApp(() => AppModule.forRoot(), { ...CONTAINER_MANAGER_SERVICE, configure: undefined }, {
    INTERNAL_SERVICE_KEY: BENCH_INTERNAL_KEY,
    DATA_DIR: dataDir,
    SANDBOX_TEST_LABEL: 'true',
    API_GATEWAY_URL: 'http://127.0.0.1:9',
    OUTBOX_BACKOFF_BASE_MS: '60000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const config = app.app.get(ManagerConfig);
  const client = new ContainerManagerClient({ baseUrl: app.url, internalKey: BENCH_INTERNAL_KEY });
  return {
    app,
    client,
    config,
    dataDir,
    rawLabels: { 'sandbox.test': 'true', [MANAGER_LABEL]: config.managerId, 'sandbox.bench': 'raw' },
    close: async () => {
      await client.close();
      await app.close();
      const leftovers = await docker.listContainers({ all: true, filters: { label: [`${MANAGER_LABEL}=${config.managerId}`] } });
      await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      removeDataDir(dataDir);
    },
  };
}
