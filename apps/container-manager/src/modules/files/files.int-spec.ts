import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FileList } from '@sandbox/contracts';
import { ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { workspaceDir } from '../../common/paths';
import { FilesController } from './files.controller';

describe(FilesController.name, () => {
  let m: ManagerHarness;
  let id: string;
  let base: string;
  let workspace: string;
  const SECRET = `host-secret-${randomUUID()}`;
  let marker: string;
  let outsideDir: string;

  beforeAll(async () => {
    m = await startManager({ FILE_MAX_BYTES: String(1024 * 1024) });
    id = randomUUID();
    await m.client.createSession({ sessionId: id });
    base = `/api/internal/sessions/${id}/files`;
    workspace = workspaceDir(m.dataDir, id);
    marker = join(m.dataDir, 'marker.txt');
    writeFileSync(marker, SECRET);
    outsideDir = join(m.dataDir, 'outside');
    mkdirSync(outsideDir);
  });
  afterAll(async () => m?.destroy());

  const q = (path: string) => `?path=${encodeURIComponent(path)}`;
  /** 400 (resolves outside) or 404 (the link dangles inside the sandbox, where the host path does not exist). */
  const refused = (status: number) => status === 400 || status === 404;
  const hostUntouched = () => {
    expect(readFileSync(marker, 'utf8')).toBe(SECRET);
    expect(readdirSync(outsideDir)).toEqual([]);
  };

  it('should write (creating parents), read back any bytes, stat, list, move and delete', async () => {
    const bytes = Buffer.concat([randomBytes(70_000), Buffer.from([0, 255, 10, 13])]);
    expect(await m.client.writeFile(id, 'deep/nested/blob.bin', bytes)).toEqual({ path: 'deep/nested/blob.bin', size: bytes.length });
    expect(Buffer.compare(await m.client.readFile(id, 'deep/nested/blob.bin'), bytes)).toBe(0);
    const stat = await m.client.statFile(id, 'deep/nested/blob.bin');
    expect(stat).toMatchObject({ name: 'blob.bin', path: 'deep/nested/blob.bin', type: 'file', size: bytes.length });
    expect(Date.parse(stat.mtime)).toBeGreaterThan(Date.now() - 600_000);
    expect(await m.client.mkdir(id, 'deep/other')).toMatchObject({ path: 'deep/other', type: 'dir' });
    await m.client.exec(id, { command: 'ln -s nested/blob.bin deep/alias' });
    const list = await m.client.listFiles(id, 'deep');
    expect(list.entries.map((e) => [e.name, e.type])).toEqual([
      ['nested', 'dir'],
      ['other', 'dir'],
      ['alias', 'symlink'],
    ]);
    expect(await m.client.move(id, 'deep/nested/blob.bin', 'moved/blob.bin')).toMatchObject({ path: 'moved/blob.bin', type: 'file', size: bytes.length });
    expect((await m.call('GET', `${base}/content${q('deep/nested/blob.bin')}`)).status).toBe(404);
    expect((await m.call('DELETE', `${base}${q('moved')}`)).status).toBe(204);
    expect((await m.call('GET', `${base}/stat${q('moved')}`)).status).toBe(404);
    const root = (await m.call('GET', base)).json as FileList;
    expect(root.path).toBe('.');
  });

  it('should answer clear errors: 404 missing, 400 directory, 409 existing destination', async () => {
    expect((await m.call('GET', `${base}/content${q('nope.txt')}`)).json).toEqual({ statusCode: 404, message: 'No such file or directory: nope.txt' });
    await m.client.mkdir(id, 'adir');
    expect((await m.call('GET', `${base}/content${q('adir')}`)).status).toBe(400);
    await m.client.writeFile(id, 'x1', Buffer.from('1'));
    await m.client.writeFile(id, 'x2', Buffer.from('2'));
    expect((await m.call('POST', `${base}/move`, { from: 'x1', to: 'x2' })).status).toBe(409);
    expect((await m.call('DELETE', `${base}${q('.')}`)).status).toBe(400);
    expect((await m.call('GET', `${base}/content`)).status).toBe(400);
  });

  it('should refuse bodies above the limit with 413', async () => {
    const res = await m.call('PUT', `${base}/content${q('big.bin')}`, Buffer.alloc(1024 * 1024 + 1));
    expect(res).toMatchObject({ status: 413, json: { statusCode: 413, message: 'File is larger than the limit of 1048576 bytes' } });
    await m.client.exec(id, { command: 'head -c 1048577 /dev/zero > big-inside.bin' });
    expect((await m.call('GET', `${base}/content${q('big-inside.bin')}`)).status).toBe(413);
  });

  it.each(['../marker.txt', '../../marker.txt', '/etc/passwd', `/${'x'}`, 'a/../../b', 'bad\u0000name'])('should refuse the path %j with 400 on every route', async (path) => {
    const results = await Promise.all([
      m.call('GET', `${base}/content${q(path)}`),
      m.call('PUT', `${base}/content${q(path)}`, Buffer.from('pwned')),
      m.call('GET', `${base}${q(path)}`),
      m.call('GET', `${base}/stat${q(path)}`),
      m.call('POST', `${base}/mkdir`, { path }),
      m.call('POST', `${base}/move`, { from: 'x2', to: path }),
      m.call('DELETE', `${base}${q(path)}`),
    ]);
    expect(results.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400, 400]);
    hostUntouched();
  });

  it('should never return or overwrite a host file through a symlink planted in the workspace', async () => {
    // Planted from the host (absolute and relative) and from inside the sandbox.
    symlinkSync(marker, join(workspace, 'abs-link'));
    symlinkSync(relative(workspace, marker), join(workspace, 'rel-link'));
    symlinkSync(outsideDir, join(workspace, 'dir-link'));
    await m.client.exec(id, { command: `ln -s ${marker} sbx-link; ln -s ../../../../../../../.. up-link` });
    for (const link of ['abs-link', 'rel-link', 'sbx-link', 'up-link/' + marker.slice(1)]) {
      const read = await m.call('GET', `${base}/content${q(link)}`);
      expect([link, read.status]).toEqual([link, expect.any(Number)]);
      expect(read.status).toBeGreaterThanOrEqual(400);
      expect(read.raw.toString()).not.toContain(SECRET);
    }
    // Inside the sandbox the host path behind dir-link does not exist (404); up-link resolves to / (400).
    expect((await m.call('GET', `${base}${q('dir-link')}`)).status).toBe(404);
    expect((await m.call('GET', `${base}${q('up-link')}`)).status).toBe(400);
    for (const target of ['dir-link/planted.txt', 'up-link/tmp/planted.txt', 'dir-link/new/sub/planted.txt']) {
      const res = await m.call('PUT', `${base}/content${q(target)}`, Buffer.from('pwned'));
      expect([target, refused(res.status)]).toEqual([target, true]);
    }
    expect(refused((await m.call('POST', `${base}/mkdir`, { path: 'dir-link/made' })).status)).toBe(true);
    expect(refused((await m.call('POST', `${base}/move`, { from: 'x2', to: 'dir-link/moved' })).status)).toBe(true);
    expect(refused((await m.call('DELETE', `${base}${q('dir-link/anything')}`)).status)).toBe(true);
    // Writing to the link's own name replaces the link, never the host file behind it.
    expect((await m.call('PUT', `${base}/content${q('abs-link')}`, Buffer.from('replaced'))).status).toBe(200);
    hostUntouched();
    expect(existsSync(join(outsideDir, 'planted.txt'))).toBe(false);
  });

  it('should stay inside the workspace while the sandbox swaps directories for symlinks during writes', async () => {
    await m.client.exec(id, {
      command: `(end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do rm -rf race; mkdir race; rm -rf race; ln -s ${outsideDir} race; rm -f race; ln -s /tmp race; done) >/dev/null 2>&1 &`,
    });
    const statuses = new Set<number>();
    for (let i = 0; i < 25; i++) {
      const res = await m.call('PUT', `${base}/content${q(`race/f${i}.txt`)}`, Buffer.from(`attempt ${i}`));
      statuses.add(res.status);
    }
    // Depending on what the loop has put there: written, refused (outside), gone (dangling link), or
    // changed under the write (409).
    expect([...statuses].filter((s) => ![200, 400, 404, 409].includes(s))).toEqual([]);
    hostUntouched();
    await m.client.exec(id, { command: 'sleep 4' });
    hostUntouched();
  });
});
