import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { REPO_ROOT } from '@sandbox/testing';
import { gql, startGateway, TestGateway } from '../support/gateway';

const MANAGER_MAIN = join(REPO_ROOT, 'dist/apps/container-manager/src/main.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Bounded polling for what the platform does asynchronously (outbox deliveries, auto-commit). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, attempts = 240, delayMs = 250): Promise<T> {
  let value = await read();
  for (let i = 0; i < attempts && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    value = await read();
  }
  return value;
}

/**
 * The create flow end to end (docs/api.md, Session statuses): GraphQL createSession → PENDING row → the real
 * container-manager (built, run as a child process from dist) creates a real container → its outbox
 * calls the gateway's internal start route → ACTIVE in PostgreSQL → exec in the container → the
 * auto-commit's checkpoint arrives through the outbox and shows in `checkpoints`.
 */
describe('create flow (gateway + real container-manager)', () => {
  let gateway: TestGateway;
  let manager: ChildProcess;
  let managerLog = '';
  let dataDir: string;
  let key: string;
  const sessionIds: string[] = [];

  beforeAll(async () => {
    if (!existsSync(MANAGER_MAIN)) throw new Error(`${MANAGER_MAIN} is missing: build first (npm test does: node scripts/build.mjs)`);
    const managerPort = await freePort();
    gateway = await startGateway({ CONTAINER_MANAGER_URL: `http://127.0.0.1:${managerPort}` });
    ({ key } = await gateway.newUser());
    dataDir = mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
    manager = spawn(process.execPath, [MANAGER_MAIN], {
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
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    manager.stdout?.on('data', (chunk: Buffer) => (managerLog += chunk.toString()));
    manager.stderr?.on('data', (chunk: Buffer) => (managerLog += chunk.toString()));
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
    if (!healthy) throw new Error(`container-manager did not become healthy:\n${managerLog.slice(-4000)}`);
  });

  afterAll(async () => {
    for (const id of sessionIds) {
      await gql(gateway, key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
      // Whatever happened above, leave no test container behind.
      try {
        execFileSync('docker', ['rm', '-f', `sandbox-session-${id}`], { stdio: 'ignore' });
      } catch {
        /* already removed */
      }
    }
    if (manager && manager.exitCode === null) {
      const exited = new Promise((resolve) => manager.once('exit', resolve));
      manager.kill('SIGTERM');
      await exited;
    }
    await gateway?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('should create a real sandbox, go ACTIVE in PostgreSQL, exec in it and show its checkpoint', async () => {
    const created = await gql(gateway, key, 'mutation { createSession(input: { env: { GREETING: "hello" } }) { id status } }');
    expect(created.errors).toBeUndefined();
    expect(created.data?.createSession.status).toBe('PENDING');
    const id: string = created.data?.createSession.id;
    sessionIds.push(id);

    const status = await eventually(() => gateway.statusOf(id), (s) => s === 'ACTIVE' || s === 'ERROR');
    if (status !== 'ACTIVE') {
      const { rows } = await gateway.db.query<{ error_reason: string | null }>('SELECT error_reason FROM sessions WHERE id = $1', [id]);
      throw new Error(`session ended ${status} (${rows[0]?.error_reason}); manager log:\n${managerLog.slice(-4000)}`);
    }

    const running = execFileSync('docker', ['inspect', '-f', '{{.State.Running}} {{index .Config.Labels "sandbox.test"}}', `sandbox-session-${id}`]).toString().trim();
    expect(running).toBe('true true');

    const exec = await gql(gateway, key, 'mutation($id: ID!) { exec(sessionId: $id, input: { command: "echo $GREETING > hello.txt && cat hello.txt && id -u" }) { exitCode stdout stderr timedOut } }', { id });
    expect(exec.errors).toBeUndefined();
    expect(exec.data?.exec).toMatchObject({ exitCode: 0, stdout: 'hello\n1000\n', timedOut: false });

    const read = await gql(gateway, key, 'query($id: ID!) { readFile(sessionId: $id, path: "hello.txt") }', { id });
    expect(read.data?.readFile).toBe('hello\n');

    // The exec changed a file: the manager's auto-commit records a checkpoint and its outbox tells the gateway.
    const checkpoints = await eventually(
      async () => (await gql(gateway, key, 'query($id: ID!) { checkpoints(sessionId: $id) { commitHash filesChanged } }', { id })).data?.checkpoints as { commitHash: string }[] | undefined,
      (list) => (list?.length ?? 0) > 0,
    );
    expect(checkpoints?.[0].commitHash).toMatch(/^[0-9a-f]{40}$/);
    const { rows } = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM git_checkpoints WHERE session_id = $1', [id]);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('should stop and delete a session through GraphQL, the manager reporting STOPPED', async () => {
    const created = await gql(gateway, key, 'mutation { createSession { id } }');
    const id: string = created.data?.createSession.id;
    sessionIds.push(id);
    expect(await eventually(() => gateway.statusOf(id), (s) => s === 'ACTIVE' || s === 'ERROR')).toBe('ACTIVE');
    const stopped = await gql(gateway, key, 'mutation($id: ID!) { stopSession(id: $id) { id } }', { id });
    expect(stopped.errors).toBeUndefined();
    expect(await eventually(() => gateway.statusOf(id), (s) => s === 'STOPPED')).toBe('STOPPED');
    const deleted = await gql(gateway, key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id });
    expect(deleted.data?.deleteSession).toBe(true);
    expect(await gateway.statusOf(id)).toBeUndefined();
    expect(() => execFileSync('docker', ['inspect', `sandbox-session-${id}`], { stdio: 'ignore' })).toThrow();
  });
});
