import Docker from 'dockerode';
import { gql } from '../support/gateway';
import { eventually, GatewayWithManager, startGatewayWithManager } from '../support/real-manager';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/**
 * The lifecycle of a session as a frontend sees it, through GraphQL against the real
 * container-manager: pause and resume answer the state they produced, a use of a paused session
 * resumes it, idle deadlines pause then stop it, a dead container turns it ERROR with the reason, and
 * usage numbers are there. Every status the manager changes on its own reaches the gateway through
 * its outbox.
 */
describe('session lifecycle (gateway + real container-manager)', () => {
  let stack: GatewayWithManager;
  let key: string;
  const sessionIds: string[] = [];

  const call = (query: string, variables?: Record<string, unknown>) => gql(stack.gateway, key, query, variables);
  const statusBecomes = async (id: string, wanted: string) => {
    const status = await eventually(() => stack.gateway.statusOf(id), (s) => s === wanted, 120, 250);
    if (status !== wanted) throw new Error(`session ${id} is ${status}, not ${wanted}; manager log:\n${stack.managerLog().slice(-3000)}`);
  };
  const create = async (input: Record<string, unknown> = {}) => {
    const created = await call('mutation($input: CreateSessionInput) { createSession(input: $input) { id } }', { input });
    expect(created.errors).toBeUndefined();
    const id = created.data?.createSession.id as string;
    sessionIds.push(id);
    await statusBecomes(id, 'ACTIVE');
    return id;
  };

  beforeAll(async () => {
    stack = await startGatewayWithManager({}, { SESSION_LIFECYCLE_CHECK_MS: '100', OUTBOX_POLL_MS: '100', OUTBOX_BACKOFF_BASE_MS: '50' });
    ({ key } = await stack.gateway.newUser());
  });

  afterAll(async () => {
    // Deleted through the API: their workspace filesystems are unmounted with them.
    for (const id of sessionIds) await call('mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
    await stack?.close();
  });

  it('should answer pauseSession with PAUSED and resumeSession with ACTIVE, and resume a paused session that is used', async () => {
    const id = await create({ idleTimeoutMs: 0 });
    const paused = await call('mutation($id: ID!) { pauseSession(id: $id) { id status } }', { id });
    expect(paused.errors).toBeUndefined();
    expect(paused.data?.pauseSession).toEqual({ id, status: 'PAUSED' });
    const resumed = await call('mutation($id: ID!) { resumeSession(id: $id) { id status } }', { id });
    expect(resumed.data?.resumeSession).toEqual({ id, status: 'ACTIVE' });

    await call('mutation($id: ID!) { pauseSession(id: $id) { status } }', { id });
    const exec = await call('mutation($id: ID!) { exec(sessionId: $id, input: { command: "echo awake" }) { stdout } }', { id });
    expect(exec.data?.exec).toEqual({ stdout: 'awake\n' });
    await statusBecomes(id, 'ACTIVE');

    await call('mutation($id: ID!) { stopSession(id: $id) { status } }', { id });
    const refused = await call('mutation($id: ID!) { pauseSession(id: $id) { status } }', { id });
    expect(refused.errors?.[0]).toMatchObject({ message: `Session ${id} cannot do this while stopped`, extensions: { code: 'CONFLICT' } });
  });

  it('should pause an idle session and stop it once paused too long, and tell the frontend', async () => {
    const id = await create({ idleTimeoutMs: 1_000, pausedStopMs: 1_500 });
    await statusBecomes(id, 'PAUSED');
    await statusBecomes(id, 'STOPPED');
  });

  it('should turn a session whose container was killed ERROR with the reason, and start it again', async () => {
    const id = await create({ idleTimeoutMs: 0 });
    const [container] = await docker.listContainers({ filters: { label: [`sandbox.session-id=${id}`] } });
    await docker.getContainer(container.Id).kill();
    await statusBecomes(id, 'ERROR');
    expect((await call('query($id: ID!) { session(id: $id) { errorReason } }', { id })).data?.session).toEqual({ errorReason: 'exited with code 137' });
    const exec = await call('mutation($id: ID!) { exec(sessionId: $id, input: { command: "true" }) { exitCode } }', { id });
    expect(exec.errors?.[0]).toMatchObject({ message: `Session ${id} is not running (status: error)`, extensions: { code: 'CONFLICT' } });
    const started = await call('mutation($id: ID!) { startSession(id: $id) { status } }', { id });
    expect(started.data?.startSession).toEqual({ status: 'ACTIVE' });
  });

  it('should show what a session uses', async () => {
    const id = await create({ idleTimeoutMs: 0, diskMb: 32 });
    await call('mutation($id: ID!) { writeFile(sessionId: $id, path: "data.txt", content: "x") }', { id });
    const res = await call('query($id: ID!) { session(id: $id) { usage { cpuPercent memoryBytes diskBytes networkRxBytes networkTxBytes sampledAt } } }', { id });
    expect(res.errors).toBeUndefined();
    const usage = res.data?.session.usage;
    expect(usage.memoryBytes).toBeGreaterThan(0);
    expect(usage.diskBytes).toBeGreaterThan(0);
    expect(usage.diskBytes).toBeLessThan(32 * 1024 * 1024);
    expect(usage.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(typeof usage.sampledAt).toBe('string');
  });

  it('should refuse lifecycle settings out of range before anything is created', async () => {
    const res = await call('mutation { createSession(input: { idleTimeoutMs: -5 }) { id } }');
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(res.errors?.[0].message).toContain('idleTimeoutMs must be an integer between 0 (off) and 2147483647');
  });
});
