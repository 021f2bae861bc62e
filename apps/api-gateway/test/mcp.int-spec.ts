import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SandboxMcpServer } from '../src/modules/mcp/sandbox-mcp.server';
import { gql, TestGateway } from './support/gateway';
import { GatewayWithManager, startGatewayWithManager } from './support/real-manager';

const TOOLS = [
  'create_session',
  'list_sessions',
  'stop_session',
  'exec',
  'read_file',
  'write_file',
  'list_files',
  'list_checkpoints',
  'checkpoint',
  'restore_checkpoint',
  'git_diff',
  'register_preview',
];

/** A connected MCP client (the SDK's own) speaking Streamable HTTP to the gateway's /mcp with `key`. */
async function connect(gateway: TestGateway, key: string | null): Promise<Client> {
  const client = new Client({ name: 'mcp-test', version: '1.0.0' });
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers } }));
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result as CallToolResult).content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name, arguments: args });
  return { isError: result.isError === true, text: textOf(result) };
}

async function callJson<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await call(client, name, args);
  if (result.isError) throw new Error(`${name} failed: ${result.text}`);
  return JSON.parse(result.text) as T;
}

describe(SandboxMcpServer.name, () => {
  let stack: GatewayWithManager;
  let gateway: TestGateway;
  let alice: { key: string; userId: string };
  let bob: { key: string; userId: string };
  let aliceClient: Client;
  let bobClient: Client;
  let sessionId: string;

  beforeAll(async () => {
    stack = await startGatewayWithManager();
    gateway = stack.gateway;
    alice = await gateway.newUser();
    bob = await gateway.newUser();
    aliceClient = await connect(gateway, alice.key);
    bobClient = await connect(gateway, bob.key);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([aliceClient?.close(), bobClient?.close()]);
    if (sessionId) await gql(gateway, alice.key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id: sessionId }).catch(() => undefined);
    await stack?.close();
  });

  it('should initialize and list exactly the documented tools, each described and with sessionId where it acts on a session', async () => {
    expect(aliceClient.getServerVersion()?.name).toBe('sandbox-platform');
    expect(aliceClient.getInstructions()).toContain('checkpoint');
    const { tools } = await aliceClient.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      const required = tool.inputSchema.required ?? [];
      if (!['create_session', 'list_sessions'].includes(tool.name)) expect(required).toContain('sessionId');
    }
    const exec = tools.find((t) => t.name === 'exec');
    expect(Object.keys(exec?.inputSchema.properties ?? {}).sort()).toEqual(['command', 'cwd', 'sessionId', 'timeoutMs']);
  });

  it('should refuse a request without a key or with a bad key before any MCP handling (401)', async () => {
    await expect(connect(gateway, null)).rejects.toThrow(/401/);
    await expect(connect(gateway, 'sk_not-a-key')).rejects.toThrow(/401/);
    const res = await fetch(`${gateway.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'A valid API key is required (Authorization: Bearer <key>)' });
  });

  it('should answer GET and DELETE with 405: the server is stateless', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${gateway.url}/mcp`, { method, headers: { authorization: `Bearer ${alice.key}`, accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('should drive a session through every tool: create, exec with its exit code, files, checkpoints, diff, restore, preview, stop', async () => {
    const created = await callJson<{ id: string; status: string; template: string }>(aliceClient, 'create_session', { template: 'base' });
    sessionId = created.id;
    expect(created).toMatchObject({ status: 'ACTIVE', template: 'base' });

    const listed = await callJson<{ sessions: { id: string }[] }>(aliceClient, 'list_sessions');
    expect(listed.sessions.map((s) => s.id)).toContain(sessionId);

    const ran = await callJson<{ exitCode: number; stdout: string; stderr: string }>(aliceClient, 'exec', { sessionId, command: 'echo out; echo err >&2; exit 3' });
    expect(ran).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    const inDir = await callJson<{ stdout: string }>(aliceClient, 'exec', { sessionId, command: 'mkdir -p sub && cd sub && pwd' });
    expect(inDir.stdout.trim()).toMatch(/\/sub$/);
    const cwd = await callJson<{ stdout: string }>(aliceClient, 'exec', { sessionId, command: 'pwd', cwd: 'sub' });
    expect(cwd.stdout.trim()).toBe(inDir.stdout.trim());

    expect((await call(aliceClient, 'write_file', { sessionId, path: 'app/notes.txt', content: 'first\n' })).text).toBe('Wrote 6 bytes to app/notes.txt');
    expect((await call(aliceClient, 'read_file', { sessionId, path: 'app/notes.txt' })).text).toBe('first\n');
    const entries = await callJson<{ name: string; type: string }[]>(aliceClient, 'list_files', { sessionId, path: 'app' });
    expect(entries).toEqual([expect.objectContaining({ name: 'notes.txt', type: 'FILE' })]);

    // The manager may have checkpointed the write on its own already; either way the latest checkpoint holds it.
    const made = await call(aliceClient, 'checkpoint', { sessionId, description: 'first version' });
    expect(made.isError).toBe(false);
    const [first] = await callJson<{ commitHash: string }[]>(aliceClient, 'list_checkpoints', { sessionId, limit: 1 });
    expect(first.commitHash).toMatch(/^[0-9a-f]{40}$/);
    expect((await call(aliceClient, 'checkpoint', { sessionId })).text).toBe('Nothing changed since the last checkpoint');

    await call(aliceClient, 'write_file', { sessionId, path: 'app/notes.txt', content: 'second\n' });
    const diff = await call(aliceClient, 'git_diff', { sessionId, from: first.commitHash.slice(0, 8) });
    expect(diff.isError).toBe(false);
    expect(diff.text).toContain('-first');
    expect(diff.text).toContain('+second');

    const checkpoints = await callJson<{ commitHash: string }[]>(aliceClient, 'list_checkpoints', { sessionId });
    expect(checkpoints.map((c) => c.commitHash)).toContain(first.commitHash);
    const restored = await callJson<{ commitHash: string }>(aliceClient, 'restore_checkpoint', { sessionId, commitHash: first.commitHash.slice(0, 10) });
    expect(restored.commitHash).toMatch(/^[0-9a-f]{40}$/);
    expect((await call(aliceClient, 'read_file', { sessionId, path: 'app/notes.txt' })).text).toBe('first\n');

    const preview = await callJson<{ port: number; url: string }>(aliceClient, 'register_preview', { sessionId, port: 3000 });
    expect(preview).toMatchObject({ port: 3000, url: expect.stringContaining('3000') });

    const stopped = await callJson<{ id: string }>(aliceClient, 'stop_session', { sessionId });
    expect(stopped.id).toBe(sessionId);
  }, 180_000);

  it("should refuse another owner's session in every tool exactly like an unknown one", async () => {
    const foreign = await gateway.insertSession(alice.userId, 'ACTIVE');
    const unknown = randomUUID();
    const attempts: [string, Record<string, unknown>][] = [
      ['exec', { command: 'id' }],
      ['read_file', { path: 'x' }],
      ['write_file', { path: 'x', content: 'y' }],
      ['list_files', {}],
      ['list_checkpoints', {}],
      ['checkpoint', {}],
      ['git_diff', { from: 'a'.repeat(40) }],
      ['restore_checkpoint', { commitHash: 'abcd1234' }],
      ['register_preview', { port: 3000 }],
      ['stop_session', {}],
    ];
    for (const [name, args] of attempts) {
      for (const id of [foreign, unknown]) {
        const result = await call(bobClient, name, { sessionId: id, ...args });
        expect({ name, ...result }).toEqual({ name, isError: true, text: `NOT_FOUND: Session ${id} not found` });
      }
    }
    const listed = await callJson<{ sessions: { id: string }[] }>(bobClient, 'list_sessions');
    expect(listed.sessions.map((s) => s.id)).not.toContain(foreign);
    expect(await gateway.statusOf(foreign)).toBe('ACTIVE');
  });

  it('should answer bad arguments as tool errors naming the rule, not as server failures', async () => {
    const badId = await call(aliceClient, 'exec', { sessionId: 'not-a-uuid', command: 'id' });
    expect(badId.isError).toBe(true);
    expect(badId.text).toContain('sessionId must be a UUID');
    const badPort = await call(aliceClient, 'register_preview', { sessionId: randomUUID(), port: 80 });
    expect(badPort.isError).toBe(true);
    expect(badPort.text).toContain('Port must be an integer between 1024 and 65535');
    const badHash = await call(aliceClient, 'restore_checkpoint', { sessionId: randomUUID(), commitHash: 'HEAD' });
    expect(badHash.text).toContain('commitHash must be a commit hash: 4 to 40 lower-case hexadecimal characters');
    const unknown = await call(aliceClient, 'git_diff', { sessionId: randomUUID(), from: 'abcd' });
    expect(unknown.text).toMatch(/^NOT_FOUND: Session .* not found$/);
  });
});
