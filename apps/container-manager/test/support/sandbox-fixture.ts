import Docker from 'dockerode';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_LABEL } from '../../src/common/paths';
import { sandboxContainerSpec } from '../../src/modules/sessions/container-spec';
import { SANDBOX_WEB_SERVER } from './sandbox-web-server';

/**
 * A real sandbox container built from the manager's own container spec (hardened, labelled, on the
 * sandbox network), with the test web server started inside it through `docker exec`.
 */
export class SandboxFixture {
  private constructor(
    private readonly docker: Docker,
    readonly sessionId: string,
    readonly container: Docker.Container,
    private readonly workspace: string,
    readonly ip: string,
  ) {}

  static async create(docker: Docker, sessionId: string, options: { labelSessionId?: string; network?: string } = {}): Promise<SandboxFixture> {
    const workspace = mkdtempSync(join(tmpdir(), 'preview-ws-'));
    chmodSync(workspace, 0o755);
    writeFileSync(join(workspace, 'server.js'), SANDBOX_WEB_SERVER, { mode: 0o644 });
    const network = options.network ?? process.env.SANDBOX_NETWORK ?? 'sandbox-net';
    const spec = sandboxContainerSpec({
      sessionId,
      image: process.env.SANDBOX_IMAGE ?? 'sandbox-base:local',
      workspaceHostPath: workspace,
      env: {},
      cpu: 1,
      memoryMb: 512,
      network,
      pidsLimit: 256,
      tmpfsMb: 64,
      logMaxSize: '1m',
      managerId: 'previews-test',
      testLabel: true,
    });
    if (options.labelSessionId) spec.Labels = { ...spec.Labels, 'sandbox.session-id': options.labelSessionId };
    spec.Labels = { ...spec.Labels, [TEST_LABEL]: 'true' };
    const container = await docker.createContainer(spec);
    await container.start();
    const info = await container.inspect();
    const ip = info.NetworkSettings.Networks[network]?.IPAddress ?? '';
    return new SandboxFixture(docker, sessionId, container, workspace, ip);
  }

  /** Starts the test web server on `port` in the background and waits until it answers. */
  async serve(port: number, name = this.sessionId): Promise<void> {
    const exec = await this.container.exec({ Cmd: ['node', '/workspace/server.js', String(port), name], User: '1000:1000', AttachStdout: false, AttachStderr: false });
    // dockerode hands back the (empty) response of a detached start as a stream; left unread it pins a
    // Docker socket and keeps the process alive.
    (await exec.start({ Detach: true })).resume();
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await answers(this.ip, port)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`sandbox server on ${this.ip}:${port} did not start`);
  }

  async stop(): Promise<void> {
    await this.container.stop({ t: 0 }).catch(() => undefined);
  }

  async remove(): Promise<void> {
    await this.container.remove({ force: true }).catch(() => undefined);
    rmSync(this.workspace, { recursive: true, force: true });
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/plain', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
