import type { GitStatusEntry } from '@sandbox/contracts';

/**
 * Parsers of git's machine-readable (`-z`, NUL-separated) output. Paths are whatever the sandbox
 * named its files, so nothing here splits on newlines or spaces, and nothing is unquoted.
 */

export interface ParsedStatus {
  head: string | null;
  files: GitStatusEntry[];
}

/** `git status --porcelain=v2 --branch -z`: `# branch.oid <hash|(initial)>` header, then one record per path. */
export function parseStatusV2(output: string): ParsedStatus {
  const records = output.split('\0');
  let head: string | null = null;
  const files: GitStatusEntry[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.length === 0) continue;
    if (record.startsWith('# ')) {
      const match = /^# branch\.oid ([0-9a-f]{40})$/.exec(record);
      if (match) head = match[1];
      continue;
    }
    const kind = record[0];
    switch (kind) {
      case '1':
        // 1 XY sub mH mI mW hH hI path
        files.push(entry(fieldsAfter(record, 8), record.slice(2, 4)));
        break;
      case '2':
        // 2 XY sub mH mI mW hH hI Xscore path, then the original path as its own record
        files.push(entry(fieldsAfter(record, 9), record.slice(2, 4)));
        i++;
        break;
      case 'u':
        // u XY sub m1 m2 m3 mW h1 h2 h3 path
        files.push(entry(fieldsAfter(record, 10), record.slice(2, 4)));
        break;
      case '?':
        files.push({ path: record.slice(2), index: '?', workingDir: '?' });
        break;
      case '!':
        break;
      default:
        throw new Error(`unexpected git status record: ${JSON.stringify(record.slice(0, 40))}`);
    }
  }
  return { head, files };
}

/** The rest of a record after `count` space-separated fields: the path, which may contain spaces. */
function fieldsAfter(record: string, count: number): string {
  let index = 0;
  for (let i = 0; i < count; i++) {
    index = record.indexOf(' ', index) + 1;
    if (index === 0) throw new Error(`truncated git status record: ${JSON.stringify(record.slice(0, 40))}`);
  }
  return record.slice(index);
}

/** v2 writes `.` for "unchanged"; the contract keeps v1's space. */
function entry(path: string, xy: string): GitStatusEntry {
  const letter = (c: string) => (c === '.' ? ' ' : c);
  return { path, index: letter(xy[0]), workingDir: letter(xy[1]) };
}

/** `git diff --numstat -z`: `added\tdeleted\tpath\0`; binary files report `-\t-`. Renames are off. */
export function parseBinaryFiles(numstat: string): string[] {
  const binary: string[] = [];
  for (const record of numstat.split('\0')) {
    const match = /^-\t-\t(.+)$/s.exec(record);
    if (match) binary.push(match[1]);
  }
  return binary;
}

/**
 * Cuts a diff to at most `maxBytes` of UTF-8, at the end of a line when one fits, so a client never
 * receives half a multi-byte character or half a hunk header.
 */
export function capDiff(diff: string, maxBytes: number): { diff: string; truncated: boolean } {
  const bytes = Buffer.from(diff, 'utf8');
  if (bytes.length <= maxBytes) return { diff, truncated: false };
  const head = bytes.subarray(0, maxBytes);
  const lastNewline = head.lastIndexOf(0x0a);
  const cut = lastNewline > 0 ? head.subarray(0, lastNewline + 1) : head;
  // A cut inside a multi-byte character decodes to U+FFFD; drop it.
  return { diff: cut.toString('utf8').replace(/\uFFFD$/, ''), truncated: true };
}

/** First line of `git commit` output when a commit was made: `[main 1a2b3c4] message`. */
export function isCommitSummary(output: string): boolean {
  return /^\[[^\]\s]+ (\(root-commit\) )?[0-9a-f]{4,40}\] /.test(output);
}

/**
 * What `git -c core.abbrev=40 commit` reports, so no other git command has to run after it: the full
 * hash (first line; the subject there is never read) and the files changed as `diff-tree
 * --no-renames` counts them (commit's summary always detects renames, and a rename counts once in
 * its shortstat: it is two paths). Gitlinks never reach a commit (stageAll drops them first).
 */
export function parseCommitSummary(output: string): { commitHash: string; filesChanged: number } {
  const [first, ...rest] = output.split('\n');
  const commitHash = /^\[[^\]\s]+ (?:\(root-commit\) )?([0-9a-f]{40})\] /.exec(first)?.[1];
  if (!commitHash) throw new Error(`unexpected git commit output: ${JSON.stringify(output.slice(0, 120))}`);
  let files = 0;
  let renames = 0;
  for (const line of rest) {
    const stat = /^ (\d+) files? changed/.exec(line);
    if (stat) files = Number(stat[1]);
    else if (line.startsWith(' rename ')) renames++;
  }
  return { commitHash, filesChanged: files + renames };
}

/** Git's commit refusal when the index equals HEAD (LC_ALL=C keeps the wording stable). */
export function isNothingToCommit(message: string): boolean {
  return /nothing to commit|nothing added to commit|no changes added to commit/.test(message);
}

/** NUL-terminated records of raw bytes (git's `-z` output read without decoding: names need not be UTF-8). */
export function nulRecords(output: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let start = 0; start < output.length; ) {
    const end = output.indexOf(0, start);
    const stop = end < 0 ? output.length : end;
    if (stop > start) records.push(output.subarray(start, stop));
    start = stop + 1;
  }
  return records;
}

/**
 * The paths `git status --porcelain=v1 -z` names (`XY path`): changed in the index or the work tree,
 * deleted, or untracked and not ignored; an untracked nested repository as `dir/`. With renames off
 * there is no second path, but a rename or copy record's original path is read as one all the same.
 */
export function parseChangedPaths(output: Buffer): Buffer[] {
  const records = nulRecords(output);
  const paths: Buffer[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.length < 4 || record[2] !== 0x20) throw new Error(`unexpected git status record: ${JSON.stringify(record.subarray(0, 40).toString('latin1'))}`);
    paths.push(record.subarray(3));
    const renamedOrCopied = [record[0], record[1]].some((letter) => letter === 0x52 || letter === 0x43);
    if (renamedOrCopied && i + 1 < records.length) paths.push(records[++i]);
  }
  return paths;
}

/**
 * `update-index` lost a race with the work tree: a path it was given changed kind or vanished between
 * the check before it and git reading it (the sandbox keeps running during a checkpoint). Nothing was
 * staged (update-index stops at the first such path); staging again from a fresh listing sees the tree
 * as it is now. Any other error is real (a full disk becomes a 413).
 */
export function workTreeChangedUnderUpdate(message: string): boolean {
  const errors = message.split('\n').filter((line) => line.startsWith('error:') || line.startsWith('fatal:'));
  const cause = (line: string) =>
    /^error: (open|readlink)\(".*"\): (No such file or directory|Not a directory)$/.test(line) ||
    /^error: '.*' is beyond a symbolic link$/.test(line) ||
    /^error: .*: is a directory - add files inside instead$/.test(line) ||
    /^error: .*: unsupported file type$/.test(line);
  const consequence = (line: string) => /^fatal: Unable to process path .*$/.test(line);
  return errors.some(cause) && errors.every((line) => cause(line) || consequence(line));
}
