import WebSocket from 'ws';
import { TerminalErrors } from '@sandbox/contracts';
import { TerminalSocketErrors } from '../../src/modules/commands/terminal-socket.gateway';
import { upgradeRefusal } from '@sandbox/testing';
import { gql, wsClient } from '../support/gateway';
import { activeSession, eventually, GatewayWithManager, startGatewayWithManager } from '../support/real-manager';

type OutputEvent = { stream: string | null; text: string | null; base64: string | null; offset: number; exit: { status: string; exitCode: number | null; signal: string | null } | null };

/**
 * Background commands and the terminal through GraphQL against the real container-manager:
 * startCommand with its output live in a commandOutput subscription, stdin and signals, and the
 * terminal WebSocket behind openTerminal's one-time ticket.
 */
describe('commands and terminal (gateway + real container-manager)', () => {
  let stack: GatewayWithManager;
  let alice: string;
  let bob: string;
  let id: string;

  const call = (key: string, query: string, variables?: Record<string, unknown>) => gql(stack.gateway, key, query, variables);

  beforeAll(async () => {
    stack = await startGatewayWithManager();
    ({ key: alice } = await stack.gateway.newUser());
    ({ key: bob } = await stack.gateway.newUser());
    id = await activeSession(stack, alice, 'mutation { createSession(input: { template: "base" }) { id } }');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('should stream a command’s output live to a subscription, take its stdin and end with its exit', async () => {
    const started = await call(alice, 'mutation($id: ID!) { startCommand(sessionId: $id, input: { command: "echo ready; read x; echo \\"got=$x\\"; exit 3" }) { commandId status command } }', { id });
    expect(started.errors).toBeUndefined();
    expect(started.data?.startCommand).toMatchObject({ status: 'RUNNING', command: 'echo ready; read x; echo "got=$x"; exit 3' });
    const commandId = started.data?.startCommand.commandId as string;

    const client = wsClient(stack.gateway, alice);
    const events: OutputEvent[] = [];
    let sawReady!: () => void;
    const ready = new Promise<void>((resolve) => (sawReady = resolve));
    const finished = new Promise<void>((resolve, reject) => {
      client.subscribe<{ commandOutput: OutputEvent }>(
        { query: 'subscription($id: ID!, $cid: ID!) { commandOutput(sessionId: $id, commandId: $cid) { stream text base64 offset exit { status exitCode signal } } }', variables: { id, cid: commandId } },
        {
          next: ({ data, errors }) => {
            if (errors) return reject(new Error(JSON.stringify(errors)));
            events.push(data!.commandOutput);
            if (events.some((event) => event.text?.includes('ready'))) sawReady();
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    try {
      // The command is blocked on stdin: its first line can only have come live.
      await ready;
      const sent = await call(alice, 'mutation($id: ID!, $cid: ID!) { sendCommandInput(sessionId: $id, commandId: $cid, text: "hello\\n") }', { id, cid: commandId });
      expect(sent.data?.sendCommandInput).toBe(6);
      await finished;
    } finally {
      await client.dispose();
    }
    const text = events.map((event) => event.text ?? '').join('');
    expect(text).toBe('ready\ngot=hello\n');
    expect(events.at(-1)).toMatchObject({ stream: null, exit: { status: 'EXITED', exitCode: 3, signal: null }, offset: 'ready\ngot=hello\n'.length });
    const listed = await call(alice, 'query($id: ID!) { commands(sessionId: $id) { commandId status exitCode } }', { id });
    expect(listed.data?.commands).toContainEqual({ commandId, status: 'EXITED', exitCode: 3 });
  });

  it('should signal a command’s process group', async () => {
    const started = await call(alice, 'mutation($id: ID!) { startCommand(sessionId: $id, input: { command: "sleep 100" }) { commandId } }', { id });
    const commandId = started.data?.startCommand.commandId as string;
    const signalled = await call(alice, 'mutation($id: ID!, $cid: ID!) { signalCommand(sessionId: $id, commandId: $cid, signal: SIGTERM) }', { id, cid: commandId });
    expect(signalled.errors).toBeUndefined();
    const ended = await eventually(
      async () => (await call(alice, 'query($id: ID!, $cid: ID!) { command(sessionId: $id, commandId: $cid) { status signal } }', { id, cid: commandId })).data?.command as { status: string; signal: string | null } | undefined,
      (command) => command?.status !== 'RUNNING',
      100,
      50,
    );
    expect(ended).toEqual({ status: 'KILLED', signal: 'SIGTERM' });
  });

  it('should refuse commands on another owner’s session and bad input', async () => {
    const foreign = await call(bob, 'mutation($id: ID!) { startCommand(sessionId: $id, input: { command: "id" }) { commandId } }', { id });
    expect(foreign.errors?.[0]).toMatchObject({ message: `Session ${id} not found`, extensions: { code: 'NOT_FOUND' } });
    const both = await call(alice, 'mutation($id: ID!) { sendCommandInput(sessionId: $id, commandId: "0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d", text: "a", base64: "YQ==") }', { id });
    expect(both.errors?.[0]).toMatchObject({ message: 'Give text or base64 for stdin, not both', extensions: { code: 'BAD_REQUEST' } });
    const unknown = await call(alice, 'query($id: ID!) { command(sessionId: $id, commandId: "0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d") { status } }', { id });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('should open a PTY through a one-time ticket: echo, resize, and the ticket refused the second time', async () => {
    const opened = await call(alice, 'mutation($id: ID!) { openTerminal(sessionId: $id, cols: 90, rows: 20) { url expiresAt } }', { id });
    expect(opened.errors).toBeUndefined();
    const url = opened.data?.openTerminal.url as string;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/terminal\?ticket=[A-Za-z0-9_-]{43}$/);
    expect(new Date(opened.data?.openTerminal.expiresAt as string).getTime() - Date.now()).toBeLessThanOrEqual(60_000);

    const ws = new WebSocket(url);
    let output = '';
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          ws.off('message', onMessage);
          clearTimeout(timer);
          resolve();
        };
        const onMessage = (data: Buffer, isBinary: boolean) => {
          if (isBinary) output += data.toString('utf8');
          check();
        };
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${JSON.stringify(output.slice(-300))}`)), 15_000);
        ws.on('message', onMessage);
        check();
      });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(Buffer.from('echo "pty=$((20+22))"; stty size\n'), { binary: true });
    await waitFor(/pty=42\r?\n20 90\r?\n/);
    ws.send(JSON.stringify({ type: 'resize', cols: 132, rows: 43 }));
    ws.send(Buffer.from('stty size\n'), { binary: true });
    await waitFor(/\n43 132\r?\n/);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(Buffer.from('exit 0\n'), { binary: true });
    expect(await closed).toBe(1000);

    expect(await upgradeRefusal(url)).toEqual({ status: 401, body: expect.objectContaining({ message: TerminalSocketErrors.ticket }) });
  });

  it('should refuse a forged or missing ticket, another owner’s session and a bad size', async () => {
    const base = stack.gateway.url.replace(/^http/, 'ws');
    expect(await upgradeRefusal(`${base}/terminal?ticket=${'A'.repeat(43)}`)).toEqual({ status: 401, body: expect.objectContaining({ message: TerminalSocketErrors.ticket }) });
    expect(await upgradeRefusal(`${base}/terminal`)).toEqual({ status: 401, body: expect.objectContaining({ message: TerminalSocketErrors.ticket }) });
    const foreign = await call(bob, 'mutation($id: ID!) { openTerminal(sessionId: $id) { url } }', { id });
    expect(foreign.errors?.[0]).toMatchObject({ message: `Session ${id} not found`, extensions: { code: 'NOT_FOUND' } });
    const tooWide = await call(alice, 'mutation($id: ID!) { openTerminal(sessionId: $id, cols: 5000) { url } }', { id });
    expect(tooWide.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(JSON.stringify(tooWide.errors)).toContain(TerminalErrors.size);
  });

  it('should refuse the terminal of a session deleted after its ticket was issued', async () => {
    const created = await call(alice, 'mutation { createSession(input: { template: "base" }) { id } }');
    const other = created.data?.createSession.id as string;
    await eventually(() => stack.gateway.statusOf(other), (s) => s === 'ACTIVE' || s === 'ERROR');
    const { url } = (await call(alice, 'mutation($id: ID!) { openTerminal(sessionId: $id) { url } }', { id: other })).data?.openTerminal as { url: string };
    expect((await call(alice, 'mutation($id: ID!) { deleteSession(id: $id) }', { id: other })).errors).toBeUndefined();
    expect(await upgradeRefusal(url)).toEqual({ status: 404, body: expect.objectContaining({ message: `Session ${other} not found` }) });
  });
});
