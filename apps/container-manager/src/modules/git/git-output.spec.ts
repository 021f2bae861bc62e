import { capDiff, isCommitSummary, isNothingToCommit, parseBinaryFiles, parseChangedPaths, parseCommitSummary, parseStatusV2, workTreeChangedUnderUpdate } from './git-output';

const HASH = 'a'.repeat(40);

describe('parseStatusV2', () => {
  it('should read the head, changed, renamed, unmerged and untracked records with paths containing spaces and dashes', () => {
    const output = [
      `# branch.oid ${HASH}`,
      '# branch.head main',
      `1 .M N... 100644 100644 100644 ${HASH} ${HASH} src/a file.ts`,
      `2 R. N... 100644 100644 100644 ${HASH} ${HASH} R100 new name`,
      'old name',
      `u UU N... 100644 100644 100644 100644 ${HASH} ${HASH} ${HASH} conflict.txt`,
      '? --upload-pack=touch marker',
      '! ignored.log',
      '',
    ].join('\0');
    expect(parseStatusV2(output)).toEqual({
      head: HASH,
      files: [
        { path: 'src/a file.ts', index: ' ', workingDir: 'M' },
        { path: 'new name', index: 'R', workingDir: ' ' },
        { path: 'conflict.txt', index: 'U', workingDir: 'U' },
        { path: '--upload-pack=touch marker', index: '?', workingDir: '?' },
      ],
    });
  });

  it('should report no head before the first commit', () => {
    expect(parseStatusV2('# branch.oid (initial)\0# branch.head main\0').head).toBeNull();
  });

  it('should refuse output it does not understand', () => {
    expect(() => parseStatusV2('X weird\0')).toThrow(/unexpected git status record/);
  });
});

describe('parseBinaryFiles', () => {
  it('should list only the files numstat reports as binary', () => {
    expect(parseBinaryFiles('3\t1\ttext.txt\0-\t-\timage.png\0-\t-\tdir/with\ttab.bin\0')).toEqual(['image.png', 'dir/with\ttab.bin']);
  });
});

describe('capDiff', () => {
  it('should keep a diff within the limit untouched', () => {
    expect(capDiff('line\n', 100)).toEqual({ diff: 'line\n', truncated: false });
  });

  it('should cut at the last full line within the limit', () => {
    expect(capDiff('aaaa\nbbbb\ncccc\n', 12)).toEqual({ diff: 'aaaa\nbbbb\n', truncated: true });
  });

  it('should never end in half a multi-byte character', () => {
    const { diff, truncated } = capDiff('ééééé', 5);
    expect(truncated).toBe(true);
    expect(diff).toBe('éé');
    expect(Buffer.byteLength(diff)).toBeLessThanOrEqual(5);
  });
});

describe('isNothingToCommit', () => {
  it('should recognise git refusing an empty commit, and nothing else', () => {
    expect(isNothingToCommit('On branch main\nnothing to commit, working tree clean\n')).toBe(true);
    expect(isNothingToCommit('fatal: unable to write new index file')).toBe(false);
  });
});

describe('isCommitSummary', () => {
  it('should recognise the summary line of a new commit, whatever its message says', () => {
    expect(isCommitSummary('[main (root-commit) 109d641] -starts with dash\n 4 files changed')).toBe(true);
    expect(isCommitSummary('[main 033b4ea] nothing to commit\n')).toBe(true);
    expect(isCommitSummary('On branch main\nnothing to commit, working tree clean\n')).toBe(false);
  });
});


describe('parseCommitSummary', () => {
  const HASH40 = 'a'.repeat(40);

  it('should read the full hash and count files, a rename as its two paths', () => {
    const output = `[main ${HASH40}] 3 files changed\n 4 files changed, 2 insertions(+), 1 deletion(-)\n rename old.txt => new.txt (100%)\n create mode 100644 added.txt\n`;
    expect(parseCommitSummary(output)).toEqual({ commitHash: HASH40, filesChanged: 5 });
  });

  it('should take a root commit, one file, and an empty commit as 0 files, never reading the subject', () => {
    expect(parseCommitSummary(`[main (root-commit) ${HASH40}] first\n 1 file changed, 1 insertion(+)\n`).filesChanged).toBe(1);
    expect(parseCommitSummary(`[main ${HASH40}] empty\n`).filesChanged).toBe(0);
    expect(parseCommitSummary(`[main ${HASH40}]  rename a => b, 99 files changed\n 1 file changed\n`).filesChanged).toBe(1);
  });

  it('should refuse output without a full hash', () => {
    expect(() => parseCommitSummary('[main abc1234] short\n')).toThrow(/unexpected git commit output/);
  });
});

describe('parseChangedPaths', () => {
  it('should read every path as raw bytes, an untracked nested repository with its slash, a rename as both paths', () => {
    const output = Buffer.concat([
      Buffer.from(' M src/a b.ts\0?? new\nline\0A  staged.txt\0 D gone.txt\0?? nested/\0?? '),
      Buffer.from([0x6e, 0xff, 0x78, 0]),
      Buffer.from('R  to.txt\0from.txt\0'),
    ]);
    expect(parseChangedPaths(output).map((path) => path.toString('latin1'))).toEqual(['src/a b.ts', 'new\nline', 'staged.txt', 'gone.txt', 'nested/', 'n\xffx', 'to.txt', 'from.txt']);
    expect(parseChangedPaths(Buffer.alloc(0))).toEqual([]);
  });

  it('should refuse what is not a status record', () => {
    expect(() => parseChangedPaths(Buffer.from('# branch.oid abc\0'))).toThrow(/unexpected git status record/);
  });
});

describe('workTreeChangedUnderUpdate', () => {
  it('should recognise a path that vanished or changed kind under update-index, and nothing else', () => {
    expect(workTreeChangedUnderUpdate('error: open("a/b"): No such file or directory\nfatal: Unable to process path a/b\n')).toBe(true);
    expect(workTreeChangedUnderUpdate('error: readlink("dir"): Not a directory\nfatal: Unable to process path dir\n')).toBe(true);
    expect(workTreeChangedUnderUpdate("add 'x'\nerror: 'dir/file' is beyond a symbolic link\nfatal: Unable to process path dir/file\n")).toBe(true);
    expect(workTreeChangedUnderUpdate('error: sub: is a directory - add files inside instead\nfatal: Unable to process path sub\n')).toBe(true);
    expect(workTreeChangedUnderUpdate('error: pipe: unsupported file type\nfatal: Unable to process path pipe\n')).toBe(true);
    expect(workTreeChangedUnderUpdate('error: open("big"): Permission denied\nfatal: Unable to process path big\n')).toBe(false);
    expect(workTreeChangedUnderUpdate('error: unable to create temporary file: No space left on device\nerror: x: failed to insert into database\nfatal: Unable to process path x\n')).toBe(false);
    expect(workTreeChangedUnderUpdate("add 'No such file or directory'\n")).toBe(false);
  });
});
