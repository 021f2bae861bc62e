import { Injectable, Logger } from '@nestjs/common';
import { existsSync, lstatSync, Stats } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { inspectIndex } from './git-index';
import { capDiff, isCommitSummary, isNothingToCommit, nulRecords, ParsedStatus, parseBinaryFiles, parseChangedPaths, parseCommitSummary, parseStatusV2, workTreeChangedUnderUpdate } from './git-output';
import { GitCommandError, GitRunner, RepoLocation } from './git-runner';

export type { RepoLocation } from './git-runner';

/** A file left out of a checkpoint because it is larger than the configured limit. */
export interface SkippedFile {
  path: string;
  size: number;
}

export interface CommitResult {
  commitHash: string;
  filesChanged: number;
}

export interface DiffResult {
  diff: string;
  truncated: boolean;
  binaryFiles: string[];
}

/**
 * The only configuration git ever reads for a session. Written by us into a git dir the sandbox
 * cannot reach; system and global config are switched off by the environment below, so nothing
 * planted in the workspace (a `.git/config`, `.gitattributes` naming filter or diff drivers, a
 * nested repository) can name a program for git to run. Each line closes one door:
 */
export const FIXED_GIT_CONFIG = `[core]
\trepositoryformatversion = 0
\tbare = false
\tfilemode = true
\tsymlinks = true
\t# no hook ever runs, whatever a hooks directory contains
\thooksPath = /dev/null
\tfsmonitor = false
\tuntrackedCache = false
\tautocrlf = false
\tsafecrlf = false
\tlogAllRefUpdates = false
\tprotectNTFS = true
\tprotectHFS = true
\t# larger files are stored without delta search and diffed as binary: bounded CPU and diff size
\tbigFileThreshold = 16m
\tlooseCompression = 1
\tquotePath = false
[gc]
\tauto = 0
[maintenance]
\tauto = false
[protocol]
\tallow = never
[diff]
\t# nested repositories are never entered (status/diff would run git inside them)
\tignoreSubmodules = all
\trenames = false
[status]
\tsubmoduleSummary = false
\trenames = false
[submodule]
\trecurse = false
[commit]
\tgpgSign = false
[user]
\tname = Sandbox Checkpoint
\temail = checkpoints@sandbox.invalid
[init]
\tdefaultBranch = main
`;

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const SLASH = 0x2f;
/** Stagings tried when the work tree changes under update-index (a sandbox racing it past that gets a 500). */
const STAGE_ATTEMPTS = 3;
/** Paths checked between two turns of the event loop (the checks are synchronous: ~3 µs each). */
const CHECKS_PER_TURN = 512;

/** A file above the size limit, named by the file system's bytes. */
interface LargeFile {
  name: Buffer;
  size: number;
}

/** What staging does with each changed path. */
interface StagingPlan {
  /** Added, updated, or (gone) removed from the index: `update-index --add --remove`. */
  update: Buffer[];
  /** Taken out of the index, never read: too large, not a file or link, or beyond a symlink. */
  drop: Buffer[];
  large: LargeFile[];
}

function nulSeparated(items: Buffer[]): Buffer {
  return Buffer.concat(items.flatMap((item) => [item, Buffer.alloc(1)]));
}

/** A large file as reported: its name read as UTF-8. */
function toSkipped({ name, size }: LargeFile): SkippedFile {
  return { path: name.toString('utf8'), size };
}

/**
 * Every git operation of the manager on a session's repository. Git runs as the manager's user
 * (root), each process through GitRunner: confined to the session's volume, with explicit
 * GIT_DIR/GIT_WORK_TREE and the fixed config above. No path is ever put on git's command line.
 */
@Injectable()
export class GitRepository {
  private readonly logger = new Logger(GitRepository.name);

  constructor(private readonly runner: GitRunner) {}

  isInitialized(repo: RepoLocation): boolean {
    return existsSync(join(repo.gitDir, 'HEAD'));
  }

  workTreeExists(repo: RepoLocation): boolean {
    return existsSync(repo.workTree);
  }

  /** Creates the repository (idempotent) and (re)writes its fixed config. */
  async init(repo: RepoLocation): Promise<void> {
    await mkdir(dirname(repo.gitDir), { recursive: true, mode: 0o700 });
    if (!this.isInitialized(repo)) {
      await this.runner.run(repo, ['init', '--quiet', '--bare', '--initial-branch=main', repo.gitDir], { cwd: dirname(repo.gitDir), withRepo: false });
      // The template's sample hooks are inert (hooksPath points elsewhere), but nothing to run is better.
      await rm(join(repo.gitDir, 'hooks'), { recursive: true, force: true });
    }
    const temp = join(repo.gitDir, 'config.tmp');
    await writeFile(temp, FIXED_GIT_CONFIG, { mode: 0o600 });
    await rename(temp, join(repo.gitDir, 'config'));
  }

  /** Removes the repository, closing its git host first (nothing of git keeps running in the volume). */
  /**
   * Deletes the lock files a git process leaves when it is killed mid-write (`index.lock`, `HEAD.lock`,
   * a ref's lock): while one exists, every later command that writes it fails ("File exists"). Only
   * called where no git process of this repository can be running (the session's git lock is held and
   * every git process the manager started for it has exited: with a crashed manager, its git hosts died
   * with it), so any lock found is a leftover. Returns what was removed, relative to the git dir.
   */
  async removeStaleLocks(repo: RepoLocation): Promise<string[]> {
    const removed: string[] = [];
    const sweep = async (relativeDir: string, recurse: boolean): Promise<void> => {
      const entries = await readdir(join(repo.gitDir, relativeDir), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      });
      for (const entry of entries) {
        const path = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
        if (entry.isFile() && entry.name.endsWith('.lock')) {
          await rm(join(repo.gitDir, path), { force: true });
          removed.push(path);
        } else if (recurse && entry.isDirectory()) {
          await sweep(path, true);
        }
      }
    };
    // The git dir's own files (index, HEAD, config, packed-refs...) and every ref.
    await sweep('', false);
    await sweep('refs', true);
    if (removed.length > 0) this.logger.warn(`removed lock files left by a git process that was killed in ${repo.gitDir}: ${removed.join(', ')}`);
    return removed;
  }

  async remove(repo: RepoLocation): Promise<void> {
    this.runner.release(repo);
    await rm(repo.gitDir, { recursive: true, force: true });
  }

  /**
   * Stages the whole work tree (honouring .gitignore), leaving out files larger than `maxFileBytes`
   * (0: no limit): they are neither hashed into the history nor kept in the index, so they stay
   * untracked and a restore leaves them alone. Returns whether anything was staged, and what was left out.
   *
   * Only what changed is read: `git status` lists the changed and untracked paths (one pass over the
   * tree, as `git add -A` would make), each is checked with one `lstat` (no symlink followed), and
   * `update-index` stages exactly those. Paths reach git only on stdin, NUL-separated and as the bytes
   * the file system holds: a name that is not UTF-8 is still the file it names.
   *
   * Nested repositories (a directory with its own `.git`) are left out entirely. Git would record
   * one as a gitlink, and the next `add` then runs `git status` INSIDE it, with its own (planted)
   * config: fsmonitor, filters... No directory is ever handed to update-index, and the index is read
   * back afterwards: any gitlink in it is dropped before anything else runs.
   */
  async stageAll(repo: RepoLocation, maxFileBytes = 0): Promise<{ staged: boolean; skipped: SkippedFile[] }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.stageChanges(repo, maxFileBytes);
      } catch (error) {
        if (error instanceof GitCommandError && workTreeChangedUnderUpdate(error.stderr) && attempt < STAGE_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  private async stageChanges(repo: RepoLocation, maxFileBytes: number): Promise<{ staged: boolean; skipped: SkippedFile[] }> {
    const changed = await this.changedPaths(repo);
    if (changed.length === 0) return { staged: false, skipped: [] };
    const plan = await planStaging(repo.workTree, changed, maxFileBytes);
    if (plan.drop.length + plan.update.length === 0) return { staged: false, skipped: [] };
    if (plan.drop.length > 0) await this.removeFromIndex(repo, plan.drop);
    if (plan.update.length > 0) await this.runner.run(repo, ['update-index', '--add', '--remove', '--replace', '-z', '--stdin'], { input: nulSeparated(plan.update) });
    // The index as staging left it, read in-process (no git process). Every gitlink in it is new, since
    // none is ever committed, and reading it cannot enter a nested repository. A file that grew past the
    // limit between its check and git reading it is in the object store now (inside the quota), but the
    // index records the size git read, so it is dropped here and no checkpoint holds it.
    const index = await readFile(join(repo.gitDir, 'index')).catch((error: NodeJS.ErrnoException) => {
      // Never written: only drops were asked of a repository that had no index yet.
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!index) return { staged: false, skipped: plan.large.map(toSkipped) };
    const { gitlinks, largeFiles } = inspectIndex(index, maxFileBytes);
    if (gitlinks.length + largeFiles.length > 0) await this.removeFromIndex(repo, [...gitlinks, ...largeFiles.map((file) => file.name)]);
    if (gitlinks.length > 0) this.logger.warn(`left ${gitlinks.length} nested repositories out of the checkpoint of ${repo.workTree}`);
    return { staged: true, skipped: [...plan.large, ...largeFiles].map(toSkipped) };
  }

  /**
   * Paths whose work tree or index state differs from HEAD, and untracked ones, as raw bytes. `status`
   * refreshes the index the way `add` would, never enters a directory through a symlink, never hashes
   * into the object store, and runs nothing in a nested repository (none is in the index).
   */
  private async changedPaths(repo: RepoLocation): Promise<Buffer[]> {
    return parseChangedPaths((await this.runner.run(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all', '--no-renames'])).stdout);
  }

  /** Drops index entries by literal path (bytes, NUL-separated on stdin: never an option, never a pattern). */
  private async removeFromIndex(repo: RepoLocation, paths: Buffer[]): Promise<void> {
    await this.runner.run(repo, ['update-index', '--force-remove', '-z', '--stdin'], { input: nulSeparated(paths) });
  }

  /**
   * Commits the index. `null` when it equals HEAD (unless `allowEmpty`). The message is one argv
   * element (`--message=...`), so a leading `-` or `--upload-pack=` in it is text, not an option.
   */
  async commit(repo: RepoLocation, message: string, allowEmpty = false): Promise<CommitResult | null> {
    let output: string;
    try {
      // Full hashes in the summary (core.abbrev=40): the commit's own output says all a checkpoint records.
      output = (await this.runner.run(repo, ['-c', 'core.abbrev=40', 'commit', '--no-verify', '--no-gpg-sign', '--cleanup=verbatim', `--message=${message}`, ...(allowEmpty ? ['--allow-empty'] : [])])).stdout.toString('utf8');
    } catch (error) {
      // "Nothing to commit" exits 1, saying so on stdout.
      if (error instanceof GitCommandError && isNothingToCommit(`${error.stdout.toString('utf8')}\n${error.stderr}`)) return null;
      throw error;
    }
    if (!isCommitSummary(output)) throw new Error(`unexpected git commit output: ${output.slice(0, 200)}`);
    const { commitHash, filesChanged } = parseCommitSummary(output);
    return { commitHash, filesChanged };
  }

  /** The latest commit, null before the first one. */
  async head(repo: RepoLocation): Promise<string | null> {
    try {
      const hash = (await this.runner.run(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).stdout.toString('utf8').trim();
      return /^[0-9a-f]{40}$/.test(hash) ? hash : null;
    } catch {
      return null;
    }
  }

  /** Work tree vs index vs HEAD, untracked files listed one by one (one command). */
  async status(repo: RepoLocation): Promise<ParsedStatus> {
    return parseStatusV2((await this.runner.run(repo, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignore-submodules=all'])).stdout.toString('utf8'));
  }

  /**
   * Unified diff between two commits, or between `from` and the current work tree (`to` null; the
   * caller stages first so new files show). Textconv and external diff drivers are off by flag as
   * well as by config; binary files are listed from numstat. Git is stopped once the patch passes
   * `maxBytes`, so a huge diff is never held whole.
   */
  async diff(repo: RepoLocation, from: string, to: string | null, maxBytes: number): Promise<DiffResult> {
    const range = to === null ? ['--cached', from] : [from, to];
    const common = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '--ignore-submodules=all'];
    const [patch, numstat] = await Promise.all([
      this.runner.run(repo, ['diff', ...common, ...range], { maxBytes: maxBytes + 1, truncate: true }),
      this.runner.run(repo, ['diff', ...common, '--numstat', '-z', ...range]),
    ]);
    return { ...capDiff(patch.stdout.toString('utf8'), maxBytes), binaryFiles: parseBinaryFiles(numstat.stdout.toString('utf8')) };
  }

  /**
   * Makes index and work tree exactly `commit`'s tree: changed files rewritten, files it lacks
   * removed, modes set. Git's checkout refuses to write or delete "beyond a symbolic link": a
   * planted symlinked directory is replaced by a real one, never followed.
   */
  async checkoutTree(repo: RepoLocation, commit: string): Promise<void> {
    await this.runner.run(repo, ['read-tree', '-u', '--reset', commit]);
  }

  /** Paths that exist in `to` and differ from `from` (added, modified, type-changed), as raw bytes. */
  async writtenPaths(repo: RepoLocation, from: string | null, to: string): Promise<Buffer[]> {
    return nulRecords((await this.runner.run(repo, ['diff-tree', '-r', '-z', '--no-renames', '--name-only', '--diff-filter=d', from ?? EMPTY_TREE, to])).stdout);
  }
}

/**
 * Sorts changed paths by one `lstat` each, taken just before git reads them. Synchronous on purpose: a
 * checkpoint usually checks a handful of paths, where a thread-pool round trip each would cost more than
 * the calls; long lists yield to the event loop every CHECKS_PER_TURN paths.
 */
async function planStaging(workTree: string, paths: Buffer[], maxFileBytes: number): Promise<StagingPlan> {
  const root = Buffer.from(`${workTree}/`);
  const lstatOf = (path: Buffer): Stats | undefined => {
    try {
      return lstatSync(Buffer.concat([root, path]));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  };
  const realDirectories = new Map<string, boolean>();
  const isRealDirectory = (path: Buffer): boolean => {
    const key = path.toString('latin1');
    let real = realDirectories.get(key);
    if (real === undefined) {
      real = lstatOf(path)?.isDirectory() ?? false;
      realDirectories.set(key, real);
    }
    return real;
  };
  // Git refuses a path beyond a symlink; as `add -A` sees it, a tracked file there is gone.
  const underRealDirectories = (path: Buffer): boolean => {
    for (let slash = path.indexOf(SLASH); slash > 0; slash = path.indexOf(SLASH, slash + 1)) if (!isRealDirectory(path.subarray(0, slash))) return false;
    return true;
  };
  const plan: StagingPlan = { update: [], drop: [], large: [] };
  for (let i = 0; i < paths.length; i++) {
    if (i > 0 && i % CHECKS_PER_TURN === 0) await nextTurn();
    const path = paths[i];
    // Status names a directory only for an untracked nested repository: never staged.
    if (path[path.length - 1] === SLASH) continue;
    if (!underRealDirectories(path)) {
      plan.drop.push(path);
      continue;
    }
    const stats = lstatOf(path);
    if (!stats || stats.isSymbolicLink()) {
      // Gone: update-index --remove takes it out of the index if it was there.
      plan.update.push(path);
    } else if (stats.isFile()) {
      if (maxFileBytes > 0 && stats.size > maxFileBytes) {
        // Out of the index too: a file committed while small and grown since gets no stale copy in later checkpoints.
        plan.drop.push(path);
        plan.large.push({ name: path, size: stats.size });
      } else {
        plan.update.push(path);
      }
    } else {
      // A directory where a file was (its files are listed on their own), a fifo, a socket, a device: never read.
      plan.drop.push(path);
    }
  }
  return plan;
}
