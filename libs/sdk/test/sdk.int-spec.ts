import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  AuthenticationError,
  NetworkError,
  NotFoundError,
  SandboxClient,
  SandboxError,
  ValidationError,
  graphql,
  type RunEvent,
  type TaskEvent,
} from '../src/index.js';
import { startPlatform, type TestPlatform } from './platform.js';

describe(SandboxClient.name, () => {
  let platform: TestPlatform;
  let sandbox: SandboxClient;
  let other: SandboxClient;
  let sessionId: string;

  beforeAll(async () => {
    platform = await startPlatform('sdk');
    sandbox = new SandboxClient({ apiUrl: platform.gatewayUrl, apiKey: await platform.newKey(), webSocketImpl: WebSocket });
    other = new SandboxClient({ apiUrl: platform.gatewayUrl, apiKey: await platform.newKey(), webSocketImpl: WebSocket });
  }, 120_000);

  afterAll(async () => {
    if (sessionId) await sandbox.sessions.delete(sessionId).catch(() => undefined);
    await Promise.all([sandbox?.close(), other?.close()]);
    await platform?.stop();
  });

  it('should create a session and wait until it is ACTIVE, then find it in get and list', async () => {
    const session = await sandbox.sessions.create({ template: 'base', env: { GREETING: 'hello' } });
    sessionId = session.id;
    expect(session).toMatchObject({ status: 'ACTIVE', template: 'base' });
    expect((await sandbox.sessions.get(sessionId))?.status).toBe('ACTIVE');
    const page = await sandbox.sessions.list({ status: 'ACTIVE' });
    expect(page.sessions.map((s) => s.id)).toEqual([sessionId]);
    expect(page.total).toBe(1);
  }, 120_000);

  it('should exec with the exit code, both streams through the callbacks, cwd and env', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const result = await sandbox.exec(sessionId, 'echo "$GREETING"; echo oops >&2; exit 3', { onStdout: (c) => stdout.push(c), onStderr: (c) => stderr.push(c) });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'hello\n', stderr: 'oops\n', timedOut: false });
    expect(stdout.join('')).toBe('hello\n');
    expect(stderr.join('')).toBe('oops\n');
    await sandbox.files.mkdir(sessionId, 'work');
    expect((await sandbox.exec(sessionId, 'basename "$(pwd)"; echo $X', { cwd: 'work', env: { X: 'y' } })).stdout).toBe('work\ny\n');
    const killed = await sandbox.exec(sessionId, 'sleep 5', { timeoutMs: 200 });
    expect(killed).toMatchObject({ exitCode: null, timedOut: true });
  });

  it('should pause and resume the session and read what its sandbox uses', async () => {
    expect(await sandbox.sessions.pause(sessionId)).toMatchObject({ id: sessionId, status: 'PAUSED' });
    expect((await sandbox.sessions.get(sessionId))?.status).toBe('PAUSED');
    expect(await sandbox.sessions.resume(sessionId)).toMatchObject({ id: sessionId, status: 'ACTIVE' });
    const usage = await sandbox.sessions.usage(sessionId);
    expect(usage).toMatchObject({ cpuPercent: expect.any(Number), networkRxBytes: expect.any(Number), networkTxBytes: expect.any(Number), sampledAt: expect.any(String) });
    expect(usage?.memoryBytes).toBeGreaterThan(0);
    expect(await other.sessions.usage(sessionId).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it('should write, read, list, move and remove files, text and binary alike', async () => {
    await sandbox.files.write(sessionId, 'notes/a.txt', 'héllo\n');
    expect(await sandbox.files.read(sessionId, 'notes/a.txt')).toBe('héllo\n');
    const bytes = new Uint8Array(randomBytes(70_000));
    bytes.set([0, 255, 0x80, 0x0a], 0);
    await sandbox.files.write(sessionId, 'notes/blob.bin', bytes);
    expect(Buffer.from(await sandbox.files.readBytes(sessionId, 'notes/blob.bin')).equals(Buffer.from(bytes))).toBe(true);
    const names = (await sandbox.files.list(sessionId, 'notes')).map((e) => [e.name, e.type]).sort();
    expect(names).toEqual([
      ['a.txt', 'FILE'],
      ['blob.bin', 'FILE'],
    ]);
    expect((await sandbox.files.move(sessionId, 'notes/a.txt', 'notes/b.txt')).path).toBe('notes/b.txt');
    await sandbox.files.remove(sessionId, 'notes/blob.bin');
    expect((await sandbox.files.list(sessionId, 'notes')).map((e) => e.name)).toEqual(['b.txt']);
  });

  it('should commit, list and restore checkpoints', async () => {
    await sandbox.files.write(sessionId, 'state.txt', 'one\n');
    await sandbox.git.commit(sessionId, { description: 'one' });
    // The manager may have committed the write by itself already: the newest checkpoint holds it either way.
    const [one] = await sandbox.git.checkpoints(sessionId, { limit: 1 });
    expect(await sandbox.git.commit(sessionId)).toBeNull();
    await sandbox.files.write(sessionId, 'state.txt', 'two\n');
    // The manager's own debounced commit may already hold the write; either way status is consistent.
    const status = await sandbox.git.status(sessionId);
    expect(status.head).toMatch(/^[0-9a-f]{40}$/);
    expect(status.clean).toBe(status.files.length === 0);
    if (status.head === one.commitHash) expect(status.files.map((f) => f.path)).toContain('state.txt');
    const diff = await sandbox.git.diff(sessionId, one.commitHash.slice(0, 8));
    expect(diff.diff).toContain('-one');
    expect(diff.diff).toContain('+two');
    const restored = await sandbox.git.restore(sessionId, one.commitHash);
    expect(restored.commitHash).toMatch(/^[0-9a-f]{40}$/);
    expect(await sandbox.files.read(sessionId, 'state.txt')).toBe('one\n');
    expect((await sandbox.git.checkpoints(sessionId)).map((c) => c.commitHash)).toContain(one.commitHash);
  });

  it('should register and list previews', async () => {
    const preview = await sandbox.previews.register(sessionId, 3000);
    expect(preview).toMatchObject({ sessionId, port: 3000, url: expect.stringContaining('3000') });
    expect((await sandbox.previews.list(sessionId)).map((p) => p.port)).toContain(3000);
    const visibility = await sandbox.previews.setPrivate(sessionId, 3000, true);
    expect(visibility).toMatchObject({ port: 3000, private: true, token: expect.any(String) });
    expect((await sandbox.previews.list(sessionId)).find((p) => p.port === 3000)?.private).toBe(true);
    expect(await sandbox.previews.unregister(sessionId, 3000)).toBe(true);
    expect((await sandbox.previews.list(sessionId)).map((p) => p.port)).not.toContain(3000);
  });

  it('should iterate a task\'s events over graphql-ws to COMPLETE', async () => {
    const task = await sandbox.tasks.create({ type: 'sandbox.exec', payload: { sessionId, command: 'echo from-task' }, priority: 'HIGH' });
    const events: TaskEvent[] = [];
    for await (const event of sandbox.tasks.events(task.id)) events.push(event);
    expect(events.at(-1)?.type).toBe('COMPLETE');
    const done = await sandbox.tasks.get(task.id);
    expect(done).toMatchObject({ status: 'COMPLETED', result: expect.objectContaining({ stdout: 'from-task\n' }) });
    expect((await sandbox.tasks.list({ limit: 5 })).tasks.map((t) => t.id)).toContain(task.id);
  }, 60_000);

  it('should start a run and iterate its numbered events with for await until its last event', async () => {
    const run = await sandbox.runs.start(sessionId, 'test', { command: 'echo from-run' });
    expect(run).toMatchObject({ sessionId, pipeline: 'test' });
    // However far the worker gets, cancelling makes the run end; the iteration then ends by itself.
    await sandbox.runs.cancel(run.id).catch((error: unknown) => {
      if (!(error instanceof SandboxError && error.code === 'CONFLICT')) throw error;
    });
    const events: RunEvent[] = [];
    for await (const event of sandbox.runs.events(run.id)) events.push(event);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(['COMPLETE', 'ERROR']).toContain(events.at(-1)?.type);
    const resumed: RunEvent[] = [];
    for await (const event of sandbox.runs.events(run.id, { afterSeq: events.length - 1 })) resumed.push(event);
    expect(resumed).toEqual([events.at(-1)]);
    expect((await sandbox.runs.list(sessionId)).runs.map((r) => r.id)).toContain(run.id);
  }, 60_000);

  it('should list templates and pipelines, and take any generated document through request()', async () => {
    expect((await sandbox.templates.list()).map((t) => t.name)).toEqual(expect.arrayContaining(['base', 'dev']));
    expect((await sandbox.runs.pipelines()).map((p) => p.name)).toContain('test');
    const { session } = await sandbox.request(graphql.SessionDocument, { id: sessionId });
    expect(session?.id).toBe(sessionId);
  });

  describe('errors', () => {
    it("should answer another owner's session as unknown: null from get, NotFoundError with the server's code elsewhere", async () => {
      expect(await other.sessions.get(sessionId)).toBeNull();
      const error = await other.exec(sessionId, 'id').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404, message: `Session ${sessionId} not found` });
      await expect(other.files.read(sessionId, 'state.txt')).rejects.toBeInstanceOf(NotFoundError);
      await expect(other.sessions.delete(sessionId)).rejects.toBeInstanceOf(NotFoundError);
      expect((await sandbox.sessions.get(sessionId))?.status).toBe('ACTIVE');
    });

    it('should raise ValidationError for input the server refuses', async () => {
      const error = await sandbox.exec(sessionId, 'true', { timeoutMs: 0 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
      await expect(sandbox.sessions.get('not-a-uuid')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('UUID') });
    });

    it('should raise AuthenticationError for a bad key, over HTTP and over graphql-ws', async () => {
      const intruder = new SandboxClient({ apiUrl: platform.gatewayUrl, apiKey: 'sk_not-a-real-key', webSocketImpl: WebSocket });
      try {
        const error = await intruder.sessions.list().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, message: 'A valid API key is required (Authorization: Bearer <key>)' });
        const iterate = async () => {
          for await (const _ of intruder.runs.events('00000000-0000-4000-8000-000000000000')) break;
        };
        await expect(iterate()).rejects.toBeInstanceOf(AuthenticationError);
      } finally {
        await intruder.close();
      }
    });

    it('should raise NetworkError when the gateway cannot be reached', async () => {
      const offline = new SandboxClient({ apiUrl: 'http://127.0.0.1:9', apiKey: 'sk_x' });
      const error = await offline.sessions.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as SandboxError).message).toContain('Cannot reach the platform at http://127.0.0.1:9');
    });
  });

  it('should delete the session', async () => {
    expect(await sandbox.sessions.delete(sessionId)).toBe(true);
    expect(await sandbox.sessions.get(sessionId)).toBeNull();
    sessionId = '';
  });
});
