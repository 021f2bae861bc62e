import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ManagerRoutes, TerminalErrors, type TerminalExitMessage } from '@sandbox/contracts';
import { upgradeRefusal } from '@sandbox/testing';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { TerminalGateway } from './terminal.gateway';

/** A terminal client: every byte received so far, text frames apart, and a wait for output. */
interface TestTerminal {
  ws: WebSocket;
  output(): string;
  messages: string[];
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  closed: Promise<{ code: number; reason: string }>;
  send(text: string): void;
}

describe(TerminalGateway.name, () => {
  let m: ManagerHarness;
  let id: string;

  beforeAll(async () => {
    m = await startManager({}, undefined, { previews: true });
    id = randomUUID();
    await m.client.createSession({ sessionId: id, template: 'base' });
  });
  afterAll(async () => m?.destroy());

  const wsUrl = (sessionId: string, query = '') => `${m.url.replace(/^http/, 'ws')}${ManagerRoutes.terminal(sessionId)}${query}`;

  const open = (query = '', sessionId = id): Promise<TestTerminal> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl(sessionId, query), { headers: { 'x-internal-service-key': m.key } });
      const chunks: Buffer[] = [];
      const messages: string[] = [];
      const waiters = new Set<() => void>();
      const closed = new Promise<{ code: number; reason: string }>((done) => ws.once('close', (code, reason) => done({ code, reason: reason.toString() })));
      ws.on('message', (data, isBinary) => {
        if (isBinary) chunks.push(data as Buffer);
        else messages.push((data as Buffer).toString("utf8"));
        for (const waiter of [...waiters]) waiter();
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('open', () => {
        const output = () => Buffer.concat(chunks).toString('utf8');
        resolve({
          ws,
          output,
          messages,
          closed,
          send: (text) => ws.send(Buffer.from(text), { binary: true }),
          waitFor: (pattern) =>
            new Promise((found, fail) => {
              const check = () => {
                const match = output().match(pattern);
                if (match) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  found(match);
                }
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no ${pattern} in terminal output: ${JSON.stringify(output().slice(-500))}`));
              }, 15_000);
              waiters.add(check);
              check();
            }),
        });
      });
    });

  it('should run a shell on a PTY that echoes input and answers commands', async () => {
    const t = await open();
    t.send('tty; echo "sum=$((6*7))"\n');
    await t.waitFor(/\/dev\/pts\/\d+/);
    await t.waitFor(/sum=42/);
    // The PTY echoes what is typed, as a terminal does.
    expect(t.output()).toContain('echo "sum=$((6*7))"');
    t.ws.close();
    await t.closed;
  });

  it('should start at the asked size and follow resize messages', async () => {
    const t = await open('?cols=100&rows=30');
    t.send('stty size\n');
    await t.waitFor(/\r?\n30 100\r?\n/);
    t.ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 45 }));
    t.send('stty size\n');
    await t.waitFor(/\r?\n45 123\r?\n/);
    t.ws.close();
    await t.closed;
  });

  it('should report the exit of the shell and close the socket', async () => {
    const t = await open();
    t.send('exit 7\n');
    const closed = await t.closed;
    expect(closed.code).toBe(1000);
    expect(t.messages.map((text) => JSON.parse(text) as TerminalExitMessage)).toEqual([{ type: 'exit', exitCode: 7, signal: null }]);
  });

  it('should hang up the shell and what it runs when the client goes away', async () => {
    const t = await open();
    t.send('echo "pid=$$"; sleep 600\n');
    const [, pid] = await t.waitFor(/pid=(\d+)/);
    t.ws.terminate();
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      const res = await m.client.exec(id, { command: `kill -0 ${pid}` });
      alive = res.exitCode === 0;
      if (alive) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(alive).toBe(false);
    // The sleep was the shell's foreground job, in a process group of its own: gone too.
    const sleeps = await m.client.exec(id, { command: 'ps -o args | grep -c "^sleep 600" || true' });
    expect(sleeps.stdout.trim()).toBe('0');
  });

  it('should close the socket on a text frame that is not a resize', async () => {
    const t = await open();
    t.ws.send('{"type":"paste","text":"rm -rf /"}');
    const closed = await t.closed;
    expect(closed).toEqual({ code: 1008, reason: TerminalErrors.message });
  });

  it('should refuse a missing or forged internal key, a bad session id, an unknown session and a bad size', async () => {
    expect(await upgradeRefusal(wsUrl(id), {})).toEqual({ status: 403, body: expect.objectContaining({ message: 'Forbidden' }) });
    expect((await upgradeRefusal(wsUrl(id), { 'x-internal-service-key': `${m.key}x` })).status).toBe(403);
    expect(await upgradeRefusal(wsUrl('not-a-session'), { 'x-internal-service-key': m.key })).toEqual({ status: 400, body: expect.objectContaining({ message: 'Session id must be a UUID' }) });
    expect((await upgradeRefusal(wsUrl(randomUUID()), { 'x-internal-service-key': m.key })).status).toBe(404);
    for (const query of ['?cols=0', '?rows=1001', '?cols=abc', '?cols=-1']) {
      expect(await upgradeRefusal(wsUrl(id, query), { 'x-internal-service-key': m.key })).toEqual({ status: 400, body: expect.objectContaining({ message: TerminalErrors.size }) });
    }
  });
});
