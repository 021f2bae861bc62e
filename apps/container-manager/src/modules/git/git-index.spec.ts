import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectIndex, UnreadableIndexError } from './git-index';

const indexGitlinks = (index: Buffer) => inspectIndex(index, 0).gitlinks;

/** Index files written by the real git (any version it can write), read back by the parser. */
describe('inspectIndex', () => {
  const dir = mkdtempSync(join(tmpdir(), 'git-index-'));
  const env = { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_DIR: join(dir, 'repo.git'), GIT_WORK_TREE: dir };
  const git = (args: string[], input?: Buffer) => execFileSync('git', args, { env, input, maxBuffer: 64 << 20 });
  const commit = '1'.repeat(40);
  let blob: string;

  beforeAll(() => {
    git(['init', '-q']);
    blob = git(['hash-object', '-w', '--stdin'], Buffer.from('content\n')).toString().trim();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * A fresh index holding `entries` (mode, path as bytes), written by `git update-index --index-info -z`.
   * Version 3 only differs from 2 when an entry has extended flags: the first one is marked skip-worktree.
   */
  function indexOf(entries: [string, Buffer][], version: number): Buffer {
    rmSync(join(env.GIT_DIR, 'index'), { force: true });
    const lines = entries.map(([mode, path]) => Buffer.concat([Buffer.from(`${mode} ${mode === '160000' ? commit : blob}\t`), path, Buffer.alloc(1)]));
    git(['update-index', '-z', '--index-info'], Buffer.concat(lines));
    if (version === 3) git(['update-index', '--skip-worktree', entries[0][1].toString()]);
    git(['update-index', '--index-version', String(version)]);
    return readFileSync(join(env.GIT_DIR, 'index'));
  }

  /** What git itself reports as gitlinks in the index. */
  function gitlinksPerGit(): Buffer[] {
    const output = git(['ls-files', '--stage', '-z']);
    const records: Buffer[] = [];
    for (let start = 0; start < output.length; ) {
      const end = output.indexOf(0, start);
      records.push(output.subarray(start, end));
      start = end + 1;
    }
    return records.filter((record) => record.subarray(0, 7).toString() === '160000 ').map((record) => Buffer.from(record.subarray(record.indexOf(0x09) + 1)));
  }

  const longName = Buffer.from(`${'deep/'.repeat(900)}file.txt`); // 4508 bytes: longer than the 12-bit length field
  const entries: [string, Buffer][] = [
    ['100644', Buffer.from('a.txt')],
    ['100644', Buffer.from('Makefile.x')], // 62 + 10 bytes: a multiple of 8, so a full 8 bytes of padding follow
    ['160000', Buffer.from('nested')],
    ['100755', Buffer.from('bin/run')],
    ['160000', Buffer.from([0x6e, 0xff, 0x0a, 0x61])], // "n", a byte that is not UTF-8, a newline, "a"
    ['120000', Buffer.from('link')],
    ['100644', longName],
    ['160000', Buffer.concat([longName.subarray(0, 4000), Buffer.from('sub')])],
    ['100644', Buffer.from('z'.repeat(7))],
  ];

  it.each([2, 3, 4])('should list exactly the gitlinks git lists, as raw bytes, in a version %i index', (version) => {
    const index = indexOf(entries, version);
    expect(index.readUInt32BE(4)).toBe(version);
    const expected = gitlinksPerGit();
    expect(expected).toHaveLength(3);
    expect(indexGitlinks(index)).toEqual(expected);
  });

  it('should find no gitlink in an index without one, nor in an empty one', () => {
    expect(indexGitlinks(indexOf([['100644', Buffer.from('only.txt')]], 2))).toEqual([]);
    git(['read-tree', '--empty']);
    expect(indexGitlinks(readFileSync(join(env.GIT_DIR, 'index')))).toEqual([]);
  });

  it.each([2, 3, 4])('should list the regular files git recorded above the limit, with their sizes, in a version %i index', (version) => {
    rmSync(join(env.GIT_DIR, 'index'), { force: true });
    const sizes: [Buffer, number][] = [
      [Buffer.from('small.txt'), 1000],
      [Buffer.from('at-limit.bin'), 3000],
      [Buffer.from('big.bin'), 3001],
      [Buffer.from([0x62, 0xff, 0x2e, 0x62]), 9000], // "b", a byte that is not UTF-8, ".b"
    ];
    for (const [name, size] of sizes) {
      const file = Buffer.concat([Buffer.from(`${dir}/`), name]);
      writeFileSync(file, '');
      truncateSync(file, size);
    }
    // A link's recorded size is its target's length: never a file above the limit.
    rmSync(join(dir, 'long-link'), { force: true });
    symlinkSync('x'.repeat(4000), join(dir, 'long-link'));
    git(['update-index', '--add', '-z', '--stdin'], Buffer.concat([...sizes.map(([name]) => name), Buffer.from('long-link')].map((name) => Buffer.concat([name, Buffer.alloc(1)]))));
    git(['update-index', '--index-version', String(version)]);
    const index = readFileSync(join(env.GIT_DIR, 'index'));
    expect(inspectIndex(index, 3000).largeFiles).toEqual([
      { name: Buffer.from('big.bin'), size: 3001 },
      { name: Buffer.from([0x62, 0xff, 0x2e, 0x62]), size: 9000 },
    ]);
    expect(inspectIndex(index, 0).largeFiles).toEqual([]);
  });

  it('should refuse a split index, whose entries live partly in another file', () => {
    indexOf(entries, 2);
    git(['update-index', '--split-index']);
    expect(() => indexGitlinks(readFileSync(join(env.GIT_DIR, 'index')))).toThrow(UnreadableIndexError);
    git(['update-index', '--no-split-index']);
  });

  it('should refuse what is not a whole index', () => {
    const index = indexOf(entries, 2);
    expect(() => indexGitlinks(index.subarray(0, 200))).toThrow(UnreadableIndexError);
    expect(() => indexGitlinks(Buffer.concat([index.subarray(0, index.length - 20), Buffer.alloc(3), index.subarray(index.length - 20)]))).toThrow(UnreadableIndexError);
    expect(() => indexGitlinks(Buffer.from('not an index at all, just some bytes'))).toThrow(UnreadableIndexError);
    const version5 = Buffer.from(index);
    version5.writeUInt32BE(5, 4);
    expect(() => indexGitlinks(version5)).toThrow(/version 5/);
  });
});
