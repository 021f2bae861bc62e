import { randomUUID } from 'node:crypto';
import { Client, request } from 'undici';
import type { ExecStreamEvent } from '@sandbox/contracts';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { ExecController } from './exec.controller';

describe(ExecController.name, () => {
  let m: ManagerHarness;
  let id: string;

  beforeAll(async () => {
    m = await startManager({ EXEC_OUTPUT_LIMIT_BYTES: '4096', EXEC_MAX_TIMEOUT_MS: '60000' });
    id = randomUUID();
    await m.client.createSession({ sessionId: id });
  });
  afterAll(async () => m?.destroy());

  const ps = async () => (await m.client.exec(id, { command: ['ps', '-o', 'args'] })).stdout;

  it('should run a shell string and report exit code, stdout and stderr separately', async () => {
    const result = await m.client.exec(id, { command: 'echo out; echo err >&2; exit 7' });
    expect(result).toMatchObject({ exitCode: 7, stdout: 'out\n', stderr: 'err\n', timedOut: false, truncated: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('should return every byte a command writes just before it exits, even with execs in parallel', async () => {
    // 300 numbered lines on stdout (under this manager's 4 KiB cap) and a last line on stderr, eight execs at once.
    const command = 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done; echo last >&2';
    const results = await Promise.all(Array.from({ length: 8 }, () => m.client.exec(id, { command })));
    for (const result of results) {
      const lines = result.stdout.trimEnd().split('\n');
      expect(result.truncated).toBe(false);
      expect(lines).toHaveLength(300);
      expect(lines.at(-1)).toBe('line 299');
      expect(result.stderr).toBe('last\n');
      expect(result.exitCode).toBe(0);
    }
  });

  it('should run an argv array without a shell, with env, cwd and stdin', async () => {
    await m.client.exec(id, { command: 'mkdir -p sub/dir' });
    const result = await m.client.exec(id, { command: ['sh', '-c', 'pwd; echo "$FOO"; cat', 'ignored'], cwd: 'sub/dir', env: { FOO: 'b a r' }, stdin: 'piped\n' });
    expect(result).toMatchObject({ exitCode: 0, stdout: '/workspace/sub/dir\nb a r\npiped\n' });
    const literal = await m.client.exec(id, { command: ['echo', '$HOME; rm -rf /'] });
    expect(literal.stdout).toBe('$HOME; rm -rf /\n');
  });

  it('should refuse a cwd outside the workspace and limits beyond the maximum', async () => {
    for (const cwd of ['..', '/etc', 'a/../../tmp']) {
      const res = await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'pwd', cwd });
      expect([cwd, res.status, res.json]).toEqual([cwd, 400, { statusCode: 400, message: 'cwd must be inside the workspace' }]);
    }
    const res = await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'true', timeoutMs: 600_001 });
    expect(res).toMatchObject({ status: 400, json: { message: 'timeoutMs must be at most 60000' } });
    expect((await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: '' })).status).toBe(400);
    expect((await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: ['a\u0000b'] })).status).toBe(400);
  });

  it('should kill the whole process tree on timeout', async () => {
    const marker = `sleep ${1000 + Math.floor(Math.random() * 1000)}`;
    const result = await m.client.exec(id, { command: `${marker} & ${marker}`, timeoutMs: 1000 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
    expect(await ps()).not.toContain(marker);
  });

  it('should let background processes of a finished command live on, even when they keep writing', async () => {
    const result = await m.client.exec(id, {
      command: `node -e "require('http').createServer((q,s)=>s.end('alive')).listen(3123)" & (i=0; while true; do echo "tick $i"; i=$((i+1)); echo $i > /tmp/ticks; sleep 0.05; done) & echo started`,
      timeoutMs: 20_000,
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.stdout.startsWith('started') || result.stdout.includes('started')).toBe(true);
    let answer = '';
    for (let i = 0; i < 50 && answer !== 'alive'; i++) {
      answer = (await m.client.exec(id, { command: `node -e "fetch('http://127.0.0.1:3123').then(r=>r.text()).then(t=>process.stdout.write(t),()=>{})"` })).stdout;
    }
    expect(answer).toBe('alive');
    const first = Number((await m.client.exec(id, { command: 'cat /tmp/ticks' })).stdout);
    await m.client.exec(id, { command: 'sleep 0.5' });
    const second = Number((await m.client.exec(id, { command: 'cat /tmp/ticks' })).stdout);
    expect(second).toBeGreaterThan(first);
    await m.client.exec(id, { command: 'pkill -f 3123 2>/dev/null; kill $(pidof node) 2>/dev/null; kill $(ps -o pid,args | grep "tick" | grep -v grep | cut -c1-6) 2>/dev/null; true' });
  });

  it('should cap each stream and say so', async () => {
    const result = await m.client.exec(id, { command: 'head -c 100000 /dev/zero | tr "\\0" a; echo done >&2' });
    expect(result.stdout).toHaveLength(4096);
    expect(result.stderr).toBe('done\n');
    expect(result.truncated).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it('should stream stdout and stderr chunks over SSE, then the exit', async () => {
    const res = await request(`${m.url}/api/internal/sessions/${id}/exec/stream`, {
      method: 'POST',
      headers: { 'x-internal-service-key': m.key, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three; exit 4' }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const text = await res.body.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.trim())
      .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as ExecStreamEvent);
    expect(events.map((e) => (e.type === 'exit' ? `exit:${e.result.exitCode}` : `${e.type}:${e.data.trim()}`))).toEqual(['stdout:one', 'stderr:two', 'stdout:three', 'exit:4']);
    const exit = events.at(-1);
    expect(exit?.type === 'exit' && exit.result.stdout).toBe('one\nthree\n');
  });

  it('should answer stream errors as JSON before streaming starts', async () => {
    const res = await m.call('POST', `/api/internal/sessions/${randomUUID()}/exec/stream`, { command: 'true' });
    expect(res.status).toBe(404);
  });

  /** Polls the sandbox's process list until `marker` is gone (or 3 s pass) and returns the last listing. */
  const listingWithout = async (marker: string): Promise<string> => {
    let listing = await ps();
    for (let i = 0; i < 30 && listing.includes(marker); i++) {
      await new Promise((r) => setTimeout(r, 100));
      listing = await ps();
    }
    return listing;
  };

  it('should kill a plain exec whose caller goes away, so its command never finishes', async () => {
    const seconds = (4 + Math.random()).toFixed(3);
    const marker = `sleep ${seconds}`;
    const file = `abandoned-${randomUUID()}`;
    const controller = new AbortController();
    const call = request(`${m.url}/api/internal/sessions/${id}/exec`, {
      method: 'POST',
      headers: { 'x-internal-service-key': m.key, 'content-type': 'application/json' },
      body: JSON.stringify({ command: `${marker} & ${marker} && touch ${file}`, timeoutMs: 30_000 }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    let listing = await ps();
    for (let i = 0; i < 50 && !listing.includes(marker); i++) listing = await ps();
    expect(listing).toContain(marker);
    controller.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    expect(await listingWithout(marker)).not.toContain(marker);
    // Had the command survived its caller, the file would exist once the sleep is over.
    const after = await m.client.exec(id, { command: `sleep ${Number(seconds) + 0.5}; test -e ${file} && echo present || echo absent` });
    expect(after.stdout).toBe('absent\n');
  });

  it('should leave the background processes of a finished plain exec alone when its caller then disconnects', async () => {
    const marker = `sleep ${3000 + Math.floor(Math.random() * 1000)}`;
    const caller = new Client(m.url);
    const res = await caller.request({
      method: 'POST',
      path: `/api/internal/sessions/${id}/exec`,
      headers: { 'x-internal-service-key': m.key, 'content-type': 'application/json' },
      body: JSON.stringify({ command: `${marker} > /dev/null 2>&1 & echo started` }),
    });
    expect(await res.body.json()).toMatchObject({ exitCode: 0, stdout: 'started\n' });
    await caller.destroy(); // the caller's connection goes away after the answer
    await m.client.exec(id, { command: 'sleep 0.5' });
    expect(await ps()).toContain(marker);
    await m.client.exec(id, { command: `pkill -f "${marker}"; true` });
  });

  it('should kill a streamed command when the client goes away', async () => {
    const marker = `sleep ${2000 + Math.floor(Math.random() * 1000)}`;
    const controller = new AbortController();
    const res = await request(`${m.url}/api/internal/sessions/${id}/exec/stream`, {
      method: 'POST',
      headers: { 'x-internal-service-key': m.key, 'content-type': 'application/json' },
      body: JSON.stringify({ command: `echo go; ${marker} & ${marker}`, timeoutMs: 30_000 }),
      signal: controller.signal,
    });
    for await (const chunk of res.body) {
      if (String(chunk).includes('go')) break;
    }
    controller.abort();
    let listing = await ps();
    for (let i = 0; i < 30 && listing.includes(marker); i++) {
      await new Promise((r) => setTimeout(r, 100));
      listing = await ps();
    }
    expect(listing).not.toContain(marker);
  });
});
