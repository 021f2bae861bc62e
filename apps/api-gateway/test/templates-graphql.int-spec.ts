import { randomBytes } from 'node:crypto';
import { TemplatesResolver } from '../src/modules/templates/templates.resolver';
import { gql, TestGateway } from './support/gateway';
import { eventually, GatewayWithManager, startGatewayWithManager } from './support/real-manager';

const TEMPLATE = 'query($name: String!) { template(name: $name) { name status sizeBytes buildLog builtIn baseTemplate createdAt } }';

describe(TemplatesResolver.name, () => {
  let stack: GatewayWithManager;
  let gateway: TestGateway;
  let alice: { key: string; userId: string };
  let bob: { key: string; userId: string };
  const sessionIds: string[] = [];

  beforeAll(async () => {
    stack = await startGatewayWithManager();
    gateway = stack.gateway;
    alice = await gateway.newUser();
    bob = await gateway.newUser();
  });

  afterAll(async () => {
    for (const id of sessionIds) await gql(gateway, alice.key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
    await stack?.close();
  });

  it('should list the built-in templates to any authenticated user, and nothing without a key', async () => {
    const res = await gql(gateway, bob.key, '{ templates { name status builtIn sizeBytes } }');
    expect(res.errors).toBeUndefined();
    const names = (res.data?.templates as { name: string; status: string; builtIn: boolean }[]).filter((t) => t.builtIn);
    expect(names).toEqual([expect.objectContaining({ name: 'base', status: 'READY' }), expect.objectContaining({ name: 'dev', status: 'READY' })]);
    expect((await gql(gateway, null, '{ templates { name } }')).status).toBe(401);
    expect((await gql(gateway, alice.key, TEMPLATE, { name: 'nope' })).data?.template).toBeNull();
  });

  it('should build a template FROM dev, start a session on it, and refuse to delete it while in use or for another user', async () => {
    const name = `web-${randomBytes(3).toString('hex')}`;
    const dockerfile = 'FROM dev\nUSER root\nRUN echo from-template > /opt/marker\nUSER 1000\n';
    const created = await gql(gateway, alice.key, 'mutation($name: String!, $dockerfile: String!) { createTemplate(name: $name, dockerfile: $dockerfile) { name status baseTemplate builtIn } }', { name, dockerfile });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createTemplate).toEqual({ name, status: 'BUILDING', baseTemplate: 'dev', builtIn: false });
    type Built = { status: string; sizeBytes: number; buildLog: string } | null | undefined;
    const built = await eventually(async () => (await gql(gateway, alice.key, TEMPLATE, { name })).data?.template as Built, (t) => t?.status !== 'BUILDING');
    expect(built).toMatchObject({ name, status: 'READY', baseTemplate: 'dev' });
    expect(built!.sizeBytes).toBeGreaterThan(0);
    expect(built!.buildLog).toContain('Step 3/');

    const session = await gql(gateway, alice.key, 'mutation($t: String) { createSession(input: { template: $t }) { id status template image } }', { t: name });
    expect(session.errors).toBeUndefined();
    expect(session.data?.createSession).toMatchObject({ status: 'PENDING', template: name, image: expect.stringContaining(name) });
    const id: string = session.data?.createSession.id;
    sessionIds.push(id);
    expect(await eventually(() => gateway.statusOf(id), (s) => s === 'ACTIVE' || s === 'ERROR')).toBe('ACTIVE');
    const exec = await gql(gateway, alice.key, 'mutation($id: ID!) { exec(sessionId: $id, input: { command: "cat /opt/marker; id -u" }) { stdout } }', { id });
    expect(exec.data?.exec.stdout).toBe('from-template\n1000\n');

    const byBob = await gql(gateway, bob.key, 'mutation($name: String!) { deleteTemplate(name: $name) }', { name });
    expect(byBob.errors?.[0]).toMatchObject({ message: `Template ${name} belongs to another user`, extensions: { code: 'FORBIDDEN' } });
    const inUse = await gql(gateway, alice.key, 'mutation($name: String!) { deleteTemplate(name: $name) }', { name });
    expect(inUse.errors?.[0]).toMatchObject({ message: `Template ${name} is used by 1 session(s); delete them first`, extensions: { code: 'CONFLICT' } });

    expect((await gql(gateway, alice.key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id })).data?.deleteSession).toBe(true);
    sessionIds.splice(sessionIds.indexOf(id), 1);
    expect((await gql(gateway, alice.key, 'mutation($name: String!) { deleteTemplate(name: $name) }', { name })).data?.deleteTemplate).toBe(true);
    expect((await gql(gateway, alice.key, TEMPLATE, { name })).data?.template).toBeNull();
  });

  it('should start a session from the template an image names (the create form kept from before templates), and refuse other images', async () => {
    const session = await gql(gateway, alice.key, 'mutation { createSession(input: { image: "sandbox-base:local" }) { id status template image } }');
    expect(session.errors).toBeUndefined();
    expect(session.data?.createSession).toMatchObject({ status: 'PENDING', template: 'base', image: 'sandbox-base:local' });
    sessionIds.push(session.data?.createSession.id);
    const other = await gql(gateway, alice.key, 'mutation { createSession(input: { image: "debian:bookworm" }) { id } }');
    expect(other.errors?.[0]).toMatchObject({ message: 'No template uses image debian:bookworm', extensions: { code: 'BAD_REQUEST' } });
    const both = await gql(gateway, alice.key, 'mutation { createSession(input: { image: "sandbox-base:local", template: "dev" }) { id } }');
    expect(both.errors?.[0]).toMatchObject({ message: 'Give either template or image, not both', extensions: { code: 'BAD_REQUEST' } });
  });

  it('should answer the exact errors for an unknown base or session template, and create no session row', async () => {
    const ubuntu = await gql(gateway, alice.key, 'mutation { createTemplate(name: "from-ubuntu", dockerfile: "FROM ubuntu\\nRUN true\\n") { name } }');
    expect(ubuntu.errors?.[0]).toMatchObject({ message: 'Unknown base template ubuntu', extensions: { code: 'BAD_REQUEST' } });
    const carol = await gateway.newUser();
    const unknown = await gql(gateway, carol.key, 'mutation { createSession(input: { template: "no-such-template" }) { id } }');
    expect(unknown.errors?.[0]).toMatchObject({ message: 'Unknown template no-such-template', extensions: { code: 'BAD_REQUEST' } });
    const { rows } = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE owner_id = $1', [carol.userId]);
    expect(rows[0].n).toBe(0);
    const builtIn = await gql(gateway, alice.key, 'mutation { deleteTemplate(name: "dev") }');
    expect(builtIn.errors?.[0]).toMatchObject({ message: 'Template dev is built in and cannot be deleted', extensions: { code: 'BAD_REQUEST' } });
  });

  it('should start sessions on dev by default', async () => {
    const session = await gql(gateway, alice.key, 'mutation { createSession { id template } }');
    expect(session.data?.createSession.template).toBe('dev');
    const id: string = session.data?.createSession.id;
    sessionIds.push(id);
    expect(await eventually(() => gateway.statusOf(id), (s) => s === 'ACTIVE' || s === 'ERROR')).toBe('ACTIVE');
    const exec = await gql(gateway, alice.key, 'mutation($id: ID!) { exec(sessionId: $id, input: { command: "git --version && python3 -c \\"print(1)\\"" }) { stdout exitCode } }', { id });
    expect(exec.data?.exec).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^git version .*\n1\n$/) });
  });
});
