import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { CommandExitEvent, CommandInfo, CommandList, CommandOutputEvent } from '@sandbox/contracts';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { CommandsController } from './commands.controller';

interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
}

describe(CommandsController.name, () => {
  let m: ManagerHarness;
  let id: string;
  let base: string;

  beforeAll(async () => {
    m = await startManager({ COMMAND_OUTPUT_RING_BYTES: '65536' });
    id = randomUUID();
    await m.client.createSession({ sessionId: id });
    base = `/api/internal/sessions/${id}/commands`;
  });
  afterAll(async () => m?.destroy());

  const start = async (body: object) => {
    const res = await m.call('POST', base, body);
    expect(res.status).toBe(201);
    return (res.json as { commandId: string }).commandId;
  };
  const info = async (commandId: string) => (await m.call('GET', `${base}/${commandId}`)).json as CommandInfo;
  const until = async (commandId: string, status: CommandInfo['status']) => {
    let current = await info(commandId);
    for (let i = 0; i < 100 && current.status !== status; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await info(commandId);
    }
    return current;
  };
  /** Reads the output SSE until `stop` says so (or the stream ends), then drops the connection. */
  const output = async (commandId: string, options: { headers?: Record<string, string>; query?: string; stop?: (events: SseEvent[]) => boolean } = {}) => {
    const controller = new AbortController();
    const res = await request(`${m.url}${base}/${commandId}/output${options.query ?? ''}`, { headers: { 'x-internal-service-key': m.key, ...options.headers }, signal: controller.signal });
    expect(res.statusCode).toBe(200);
    const events: SseEvent[] = [];
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += String(chunk);
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const data = lines.find((line) => line.startsWith('data: '));
          if (!data) continue;
          events.push({
            event: lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message',
            id: lines.find((line) => line.startsWith('id: '))?.slice(4),
            data: JSON.parse(data.slice(6)),
          });
        }
        if (options.stop?.(events)) break;
      }
    } finally {
      controller.abort();
    }
    return events;
  };
  const textOf = (events: SseEvent[], stream: 'stdout' | 'stderr' = 'stdout') =>
    events
      .filter((e) => e.event === 'message' && (e.data as CommandOutputEvent).stream === stream)
      .map((e) => {
        const d = e.data as CommandOutputEvent;
        return d.text ?? Buffer.from(d.base64 ?? '', 'base64').toString('latin1');
      })
      .join('');

  it('should start a background command, list it and report its exit', async () => {
    const commandId = await start({ command: 'echo out; echo oops >&2; exit 3' });
    const done = await until(commandId, 'exited');
    expect(done).toMatchObject({ commandId, command: 'echo out; echo oops >&2; exit 3', status: 'exited', exitCode: 3, signal: null });
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    const list = (await m.call('GET', base)).json as CommandList;
    expect(list.commands.map((c) => c.commandId)).toContain(commandId);
    const events = await output(commandId);
    expect([textOf(events), textOf(events, 'stderr')]).toEqual(['out\n', 'oops\n']);
    expect(events.at(-1)).toMatchObject({ event: 'exit', data: { status: 'exited', exitCode: 3, signal: null } satisfies CommandExitEvent });
  });

  it('should run in cwd with env, and an argv without a shell', async () => {
    await m.client.exec(id, { command: 'mkdir -p work/dir' });
    const commandId = await start({ command: 'echo "$GREETING from $(pwd)"', cwd: 'work/dir', env: { GREETING: 'hi' } });
    expect(textOf(await output(commandId))).toBe('hi from /workspace/work/dir\n');
    const literal = await start({ command: ['echo', '$HOME; rm -rf /'] });
    expect(textOf(await output(literal))).toBe('$HOME; rm -rf /\n');
    expect((await info(literal)).command).toEqual(['echo', '$HOME; rm -rf /']);
  });

  it('should keep the output of a command nobody watches and replay it from the start, then follow', async () => {
    const commandId = await start({ command: 'for i in 1 2 3; do echo "line $i"; done; echo warn >&2; sleep 1; echo late' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the first lines are written while nobody watches
    const events = await output(commandId);
    expect(textOf(events)).toBe('line 1\nline 2\nline 3\nlate\n');
    expect(textOf(events, 'stderr')).toBe('warn\n');
    expect(events.at(-1)?.event).toBe('exit');
    // A second client, after the exit, gets the same replay.
    expect(textOf(await output(commandId))).toBe('line 1\nline 2\nline 3\nlate\n');
  });

  it('should resume after a reconnect from Last-Event-ID without losing or repeating output', async () => {
    const commandId = await start({ command: 'i=0; while [ $i -lt 20 ]; do echo "n$i"; i=$((i+1)); sleep 0.05; done' });
    const first = await output(commandId, { stop: (events) => textOf(events).includes('n3\n') });
    const lastId = first.filter((e) => e.id).at(-1)!.id!;
    const rest = await output(commandId, { headers: { 'last-event-id': lastId } });
    const all = textOf(first) + textOf(rest);
    expect(all).toBe(Array.from({ length: 20 }, (_, i) => `n${i}\n`).join(''));
    expect(rest.at(-1)?.event).toBe('exit');
    // ?from= does the same as the header.
    expect(textOf(await output(commandId, { query: `?from=${lastId}` }))).toBe(textOf(rest));
  });

  it('should keep only the newest output of a command that writes more than the ring holds, and say so', async () => {
    const commandId = await start({ command: 'head -c 200000 /dev/zero | tr "\\0" a; echo; echo end' });
    await until(commandId, 'exited');
    const events = await output(commandId);
    expect(events[0]).toMatchObject({ event: 'truncated' });
    const text = textOf(events);
    expect(text.length).toBeLessThanOrEqual(65536);
    expect(text.endsWith('a\nend\n')).toBe(true);
  });

  it('should send stdin to a running command and close it on request', async () => {
    const commandId = await start({ command: 'while read line; do echo "got:$line"; done; echo "stdin closed"' });
    expect((await m.call('POST', `${base}/${commandId}/input`, Buffer.from('one\ntwo\n'))).json).toEqual({ bytes: 8 });
    expect((await m.call('POST', `${base}/${commandId}/input?eof=true`, Buffer.from('three\n'))).status).toBe(200);
    const events = await output(commandId);
    expect(textOf(events)).toBe('got:one\ngot:two\ngot:three\nstdin closed\n');
    expect((await m.call('POST', `${base}/${commandId}/input`, Buffer.from('late'))).json).toMatchObject({ statusCode: 409, message: expect.stringMatching(/^The stdin of command .* is closed/) });
  });

  it('should deliver signals to the whole process group and report the command killed', async () => {
    const marker = `sleep ${3000 + Math.floor(Math.random() * 1000)}`;
    const commandId = await start({ command: `${marker} & ${marker}` });
    const sleeps = async () => (await m.client.exec(id, { command: 'ps -o args' })).stdout.split('\n').filter((line) => line.trim() === marker).length;
    let count = await sleeps();
    for (let i = 0; i < 30 && count < 2; i++) count = await sleeps();
    expect(count).toBe(2);
    const res = await m.call('POST', `${base}/${commandId}/signal`, { signal: 'SIGTERM' });
    expect(res).toMatchObject({ status: 200, json: { commandId, signal: 'SIGTERM' } });
    expect(await until(commandId, 'killed')).toMatchObject({ status: 'killed', exitCode: null, signal: 'SIGTERM' });
    for (let i = 0; i < 30 && (await sleeps()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await sleeps()).toBe(0); // the background sleep got it too
  });

  it('should be driven through the typed client: start, input, follow with resume, signal, list', async () => {
    const { commandId } = await m.client.startCommand(id, { command: 'read a; echo "a=$a"; read b; echo "b=$b"; sleep 100' });
    await m.client.sendCommandInput(id, commandId, Buffer.from('1\n'));
    const seen: string[] = [];
    let offset = 0;
    const controller = new AbortController();
    const following = m.client
      .followCommandOutput(id, commandId, {
        signal: controller.signal,
        onOutput: (event, after) => {
          seen.push(event.text ?? '');
          offset = after;
          if (seen.join('') === 'a=1\n') controller.abort();
        },
      })
      .catch((error: unknown) => error);
    await following;
    await m.client.sendCommandInput(id, commandId, Buffer.from('2\n'), { eof: true });
    // Resumed where the first reader left: only what came after.
    const rest: string[] = [];
    const again = new AbortController();
    await m.client
      .followCommandOutput(id, commandId, {
        from: offset,
        signal: again.signal,
        onOutput: (event, after) => {
          rest.push(event.text ?? '');
          offset = after;
          if (rest.join('') === 'b=2\n') again.abort();
        },
      })
      .catch((error: unknown) => error);
    expect([seen.join(''), rest.join('')]).toEqual(['a=1\n', 'b=2\n']);
    await m.client.signalCommand(id, commandId, 'SIGKILL');
    const exit = await m.client.followCommandOutput(id, commandId, { from: offset, onOutput: () => undefined });
    expect(exit).toEqual({ status: 'killed', exitCode: null, signal: 'SIGKILL' });
    expect((await m.client.getCommand(id, commandId)).status).toBe('killed');
    expect((await m.client.listCommands(id)).commands.some((c) => c.commandId === commandId)).toBe(true);
  });

  it('should answer 400 for bad bodies, 404 for unknown commands, 404 for an unknown session', async () => {
    expect((await m.call('POST', base, { command: '' })).status).toBe(400);
    expect((await m.call('POST', base, { command: 'true', cwd: '../etc' })).json).toEqual({ statusCode: 400, message: 'cwd must be inside the workspace' });
    expect((await m.call('POST', base, { command: ['no-such-program-x'] })).json).toEqual({ statusCode: 400, message: 'Cannot start the command: no-such-program-x: not found' });
    expect((await m.call('POST', base, { command: 'true', cwd: 'missing/dir' })).json).toEqual({ statusCode: 400, message: "Cannot start the command: can't cd to /workspace/missing/dir" });
    const unknown = randomUUID();
    expect((await m.call('GET', `${base}/${unknown}`)).json).toEqual({ statusCode: 404, message: `Command ${unknown} not found` });
    expect((await m.call('GET', `${base}/not-a-uuid`)).status).toBe(404);
    expect((await m.call('GET', `${base}/${unknown}/output`)).status).toBe(404);
    expect((await m.call('POST', `${base}/${unknown}/signal`, { signal: 'SIGTERM' })).status).toBe(404);
    expect((await m.call('POST', `${base}/${unknown}/signal`, { signal: 'SIGSEGV' })).status).toBe(400);
    expect((await m.call('POST', `${base}/${unknown}/input`, Buffer.from('x'))).status).toBe(404);
    expect((await m.call('GET', `/api/internal/sessions/${randomUUID()}/commands`)).status).toBe(404);
  });

  it('should mark bytes that are not UTF-8 as base64 and keep characters cut between chunks whole', async () => {
    const commandId = await start({ command: ['sh', '-c', 'printf "\\377\\376"; sleep 0.2; printf "\\342\\202"; sleep 0.2; printf "\\254 ok"'] });
    const events = await output(commandId);
    const data = events.filter((e) => e.event === 'message').map((e) => e.data as CommandOutputEvent);
    expect(data[0]).toEqual({ stream: 'stdout', base64: Buffer.from([0xff, 0xfe]).toString('base64') });
    expect(data.filter((d) => d.text).map((d) => d.text).join('')).toBe('€ ok');
  });
});
