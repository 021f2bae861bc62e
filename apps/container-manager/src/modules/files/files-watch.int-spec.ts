import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { FileWatchEvent, GitCheckpoint } from '@sandbox/contracts';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { FilesController } from './files.controller';

describe(`${FilesController.name} watch`, () => {
  let m: ManagerHarness;
  let id: string;

  beforeAll(async () => {
    m = await startManager({ GIT_AUTOCOMMIT_DEBOUNCE_MS: '200', GIT_AUTOCOMMIT_MAX_WAIT_MS: '1000' });
    id = randomUUID();
    await m.client.createSession({ sessionId: id });
  });
  afterAll(async () => m?.destroy());

  /** Collects watch events until `done` holds (or 10 s pass), then closes the stream. */
  const watch = async (query: string, act: () => Promise<void>, done: (events: FileWatchEvent[]) => boolean) => {
    const controller = new AbortController();
    const res = await request(`${m.url}/api/internal/sessions/${id}/files/watch${query}`, { headers: { 'x-internal-service-key': m.key }, signal: controller.signal });
    expect(res.statusCode).toBe(200);
    const events: FileWatchEvent[] = [];
    const timer = setTimeout(() => controller.abort(), 10_000);
    await act();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += String(chunk);
        for (const line of buffer.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as FileWatchEvent);
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
        if (done(events)) break;
      }
    } catch {
      // aborted after 10 s: the assertions below say what was missing
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return events;
  };

  it('should stream create, write, rename and remove events made by a background process', async () => {
    await m.client.mkdir(id, 'src');
    const events = await watch(
      '?path=src&recursive=true',
      async () => {
        const res = await m.call('POST', `/api/internal/sessions/${id}/commands`, {
          command: 'sleep 0.3; mkdir -p src/deep; echo a > src/deep/a.txt; sleep 0.1; echo b >> src/deep/a.txt; mv src/deep/a.txt src/deep/b.txt; rm src/deep/b.txt; echo x > outside.txt',
        });
        expect(res.status).toBe(201);
      },
      (events) => events.some((e) => e.type === 'remove' && e.path === 'src/deep/b.txt'),
    );
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'create', path: 'src/deep' },
        { type: 'create', path: 'src/deep/a.txt' },
        { type: 'write', path: 'src/deep/a.txt' },
        { type: 'rename', path: 'src/deep/b.txt', from: 'src/deep/a.txt' },
        { type: 'remove', path: 'src/deep/b.txt' },
      ]),
    );
    expect(events.some((e) => e.path === 'outside.txt')).toBe(false);
  });

  it('should only report direct children without recursive', async () => {
    await m.client.mkdir(id, 'flat/sub');
    const events = await watch(
      '?path=flat',
      async () => {
        await m.client.exec(id, { command: 'sleep 0.2; echo 1 > flat/sub/nested.txt; echo 2 > flat/top.txt' });
      },
      (events) => events.some((e) => e.path === 'flat/top.txt'),
    );
    expect(events.some((e) => e.path === 'flat/top.txt')).toBe(true);
    expect(events.some((e) => e.path === 'flat/sub/nested.txt')).toBe(false);
  });

  it('should refuse paths outside the workspace and missing ones', async () => {
    expect((await m.call('GET', `/api/internal/sessions/${id}/files/watch?path=../x`)).status).toBe(400);
    expect((await m.call('GET', `/api/internal/sessions/${id}/files/watch?path=missing`)).status).toBe(404);
    expect((await m.call('GET', `/api/internal/sessions/${id}/files/watch?recursive=maybe`)).status).toBe(400);
  });

  it('should take an automatic checkpoint of files a background process writes, with no exec or file call', async () => {
    // Quiet first: no checkpoint of the earlier tests' writes may still be on its way.
    let before = (await m.client.checkpoints(id)).total;
    for (let stable = 0; stable < 15; stable++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = (await m.client.checkpoints(id)).total;
      if (now !== before) [before, stable] = [now, 0];
    }
    // Started in the background: its writes come long after the start call has answered (no exec, no file call).
    const res = await m.call('POST', `/api/internal/sessions/${id}/commands`, { command: 'sleep 1; echo "generated" > server-output.txt' });
    expect(res.status).toBe(201);
    let checkpoints: GitCheckpoint[] = [];
    for (let i = 0; i < 100; i++) {
      const page = await m.client.checkpoints(id);
      checkpoints = page.checkpoints;
      if (page.total > before) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await m.client.checkpoints(id)).total).toBe(before + 1);
    const diff = await m.client.diff(id, checkpoints[1]?.commitHash ?? checkpoints[0].commitHash, checkpoints[0].commitHash);
    expect(JSON.stringify(diff)).toContain('server-output.txt');
  });
});
