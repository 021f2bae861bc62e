import { execFileSync } from 'node:child_process';
import { gql, TestGateway } from '../support/gateway';
import { eventually, GatewayWithManager, startGatewayWithManager } from '../support/real-manager';

/**
 * The create flow end to end (docs/api.md, Session statuses): GraphQL createSession → PENDING row → the real
 * container-manager (built, run as a child process from dist) creates a real container → its outbox
 * calls the gateway's internal start route → ACTIVE in PostgreSQL → exec in the container → the
 * auto-commit's checkpoint arrives through the outbox and shows in `checkpoints`.
 */
describe('create flow (gateway + real container-manager)', () => {
  let platform: GatewayWithManager;
  let gateway: TestGateway;
  let key: string;
  const sessionIds: string[] = [];

  beforeAll(async () => {
    platform = await startGatewayWithManager();
    gateway = platform.gateway;
    ({ key } = await gateway.newUser());
  });

  afterAll(async () => {
    for (const id of sessionIds) await gql(gateway, key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
    await platform?.close();
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
      throw new Error(`session ended ${status} (${rows[0]?.error_reason}); manager log:\n${platform.managerLog().slice(-4000)}`);
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
