import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { makeDataDir, ManagerHarness, removeDataDir, removeManagedContainers, startManager } from '../../../test/support/manager-harness';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';

/**
 * The agent as the sandbox's PID 1, attacked from inside the sandbox (same uid) and checked from the
 * outside: it keeps answering, its secrets stay unreadable, its socket cannot be replaced, a dialer
 * without the token is refused, and the manager survives what a fake agent sends.
 */
describe(SandboxAgentRepository.name, () => {
  let m: ManagerHarness;
  let id: string;

  beforeAll(async () => {
    m = await startManager();
    id = randomUUID();
    await m.client.createSession({ sessionId: id });
  });
  afterAll(async () => m?.destroy());

  /** $PPID of a command: 1 when the agent (PID 1) started it, 0 or a shell's pid through Docker exec. */
  const parentPid = async (sessionId = id) => (await m.client.exec(sessionId, { command: 'echo $PPID' })).stdout.trim();
  const agentAnswers = async () => {
    expect(await parentPid()).toBe('1');
    expect(await m.client.writeFile(id, 'alive.txt', Buffer.from('yes'))).toEqual({ path: 'alive.txt', size: 3 });
  };

  it('should run commands and file operations through the agent, as PID 1', async () => {
    const result = await m.client.exec(id, { command: 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo $PPID; id -u' });
    expect(result.stdout).toBe('/opt/sbx/agent sleep infinity \n1\n1000\n');
  });

  it('should keep answering after the sandbox signals it, kills every process it can and tries to stop it', async () => {
    // Every signal, real-time ones included (SIGKILL and SIGSTOP from inside are dropped by the kernel for PID 1).
    // 32 and 34 have no Go handler: a burst of other signals once let `kill -34 1` end the agent.
    const signals = [...Array.from({ length: 31 }, (_, i) => i + 1).filter((s) => s !== 9 && s !== 19), 32, 33, 34, 35, 50, 64];
    const burst = `for s in 9 ${signals.join(' ')}; do kill -$s 1 2>/dev/null; done`;
    const result = await m.client.exec(id, { command: `for round in 1 2 3 4 5 6 7 8 9 10; do ${burst}; done; echo sent` });
    expect(result.stdout).toBe('sent\n');
    await agentAnswers();
    // `kill -9 -1` kills every process the sandbox user may signal: the caller's own shell included, not PID 1.
    await m.client.exec(id, { command: 'sleep 300 & kill -9 -1' });
    await agentAnswers();
    expect((await m.client.exec(id, { command: 'ps -o pid,args | grep -c "[s]leep 300"' })).stdout.trim()).toBe("0");
  });

  it('should keep its environment (the token), descriptors and memory unreadable', async () => {
    const result = await m.client.exec(id, {
      command: 'cat /proc/1/environ; echo "environ=$?"; ls /proc/1/fd; echo "fd=$?"; head -c1 /proc/1/mem; echo "mem=$?"; env | grep -c SBX_',
    });
    for (const probe of ['environ', 'fd', 'mem']) expect(result.stdout).toMatch(new RegExp(`${probe}=[1-9]`));
    expect(result.stdout.trim().endsWith('0')).toBe(true); // no SBX_* variable reaches sandbox code
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('should not let the sandbox remove or replace the socket', async () => {
    const result = await m.client.exec(id, { command: 'rm -f /run/sbx/host.sock; echo "rm=$?"; touch /run/sbx/x; echo "touch=$?"; ls -ln /run/sbx' });
    expect(result.stdout).toContain('rm=1');
    expect(result.stdout).toContain('touch=1');
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(result.stdout).toMatch(/srw------- +1 1000 +1000 .* host\.sock/);
    await agentAnswers();
  });

  it('should refuse a dialer without the token and survive a fake agent that floods it', async () => {
    // A fake agent: a hello with a guessed token, then one with an absurd frame length, then garbage.
    const script = `
      const net = require('net');
      const frame = (type, body) => { const p = Buffer.from(JSON.stringify(body)); const h = Buffer.alloc(9); h.writeUInt32BE(5 + p.length); h[4] = type; return Buffer.concat([h, p]); };
      const attempt = (bytes) => new Promise((resolve) => {
        const s = net.connect('/run/sbx/host.sock');
        let got = 0;
        s.on('connect', () => s.write(bytes));
        s.on('data', (d) => (got += d.length));
        s.on('close', () => resolve(got));
        s.on('error', () => resolve(-1));
        setTimeout(() => { s.destroy(); resolve('open'); }, 5000).unref();
      });
      (async () => {
        const huge = Buffer.alloc(9); huge.writeUInt32BE(0xfffffff0); huge[4] = 1;
        const results = [
          await attempt(frame(1, { token: 'guess', version: '1', pid: 1 })),
          await attempt(huge),
          await attempt(Buffer.from('GET / HTTP/1.1\\r\\n\\r\\n')),
        ];
        console.log(JSON.stringify(results));
      })();`;
    const result = await m.client.exec(id, { command: ['node', '-e', script], timeoutMs: 30_000 });
    // Each connection is closed by the manager without a single byte sent back (no welcome).
    expect(JSON.parse(result.stdout)).toEqual([0, 0, 0]);
    await agentAnswers();
  });

  it('should serve a session again through its agent after the manager restarts', async () => {
    const dataDir = makeDataDir();
    const first = await startManager({}, dataDir);
    const sessionId = randomUUID();
    try {
      await first.client.createSession({ sessionId });
      const started = await first.call('POST', `/api/internal/sessions/${sessionId}/commands`, { command: 'echo before; read line; echo "got $line"' });
      expect(started.status).toBe(201);
      await first.close();
      const second = await startManager({}, dataDir);
      try {
        // The agent re-dials the socket the new manager listens on; the command kept running meanwhile.
        expect((await second.client.exec(sessionId, { command: 'echo $PPID' })).stdout).toBe('1\n');
        const { commandId } = started.json as { commandId: string };
        const input = await second.call('POST', `/api/internal/sessions/${sessionId}/commands/${commandId}/input?eof=true`, Buffer.from('hello\n'));
        expect(input.status).toBe(200);
        const res = await request(`${second.url}/api/internal/sessions/${sessionId}/commands/${commandId}/output`, { headers: { 'x-internal-service-key': second.key } });
        const text = await res.body.text();
        expect(text).toContain('"text":"before\\n"');
        expect(text).toContain('"text":"got hello\\n"');
        expect(text).toContain('event: exit');
      } finally {
        await second.close();
      }
    } finally {
      await removeManagedContainers(first.managerId);
      removeDataDir(dataDir);
    }
  });

  it('should keep serving sandboxes made without the agent through Docker exec, and give them the agent on restart', async () => {
    const dataDir = makeDataDir();
    const legacy = await startManager({ SANDBOX_AGENT_BINARY: '' }, dataDir);
    const sessionId = randomUUID();
    try {
      await legacy.client.createSession({ sessionId });
      await legacy.close();
      const current = await startManager({}, dataDir);
      try {
        const result = await current.client.exec(sessionId, { command: 'echo $PPID; cat /proc/1/cmdline | tr "\\0" " "' });
        expect(result.stdout).not.toMatch(/^1\n/);
        expect(result.stdout).not.toContain('/opt/sbx/agent');
        expect(await current.client.writeFile(sessionId, 'a.txt', Buffer.from('legacy'))).toEqual({ path: 'a.txt', size: 6 });
        expect((await current.client.readFile(sessionId, 'a.txt')).toString()).toBe('legacy');
        const commands = await current.call('POST', `/api/internal/sessions/${sessionId}/commands`, { command: 'true' });
        expect(commands.status).toBe(409);
        expect((commands.json as { message: string }).message).toMatch(/no sandbox agent .* restart the session/);
        // A restart gives it a new container with the agent, on the same workspace.
        await current.client.stopSession(sessionId);
        await current.client.startSession(sessionId);
        expect((await current.client.exec(sessionId, { command: 'echo $PPID; cat a.txt' })).stdout).toBe('1\nlegacy');
        expect((await current.call('POST', `/api/internal/sessions/${sessionId}/commands`, { command: 'true' })).status).toBe(201);
      } finally {
        await current.close();
      }
    } finally {
      await removeManagedContainers(legacy.managerId);
      removeDataDir(dataDir);
    }
  });

  it.each(['base', 'dev'])('should run the agent in the %s template', async (template) => {
    const sessionId = randomUUID();
    await m.client.createSession({ sessionId, template });
    const result = await m.client.exec(sessionId, { command: 'echo $PPID; head -c 14 /proc/1/cmdline' });
    expect(result.stdout).toBe('1\n/opt/sbx/agent');
    await m.client.deleteSession(sessionId);
  });
});
