import { Injectable, Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { GitError, simpleGit, SimpleGit } from 'simple-git';
import { ManagerConfig } from '../../config/manager-config';
import { indexGitlinks } from './git-index';
import { capDiff, isCommitSummary, isNothingToCommit, onlyUnstageableNestedRepos, ParsedStatus, parseBinaryFiles, parseCommitSummary, parsePathList, parseStatusV2, workTreeChangedUnderAdd } from './git-output';

/** A session's repository: metadata outside the sandbox's reach, work tree = the (hostile) workspace. */
export interface RepoLocation {
  gitDir: string;
  workTree: string;
}

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

const execFileAsync = promisify(execFile);

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const EXCLUDE_LITERAL = Buffer.from(':(exclude,top,literal)');
/** Stagings tried when files vanish while git adds them (a sandbox deleting as fast as it can wins after that: 500). */
const ADD_ATTEMPTS = 3;

/** A large file as `find` named it: `name` is the file system's bytes, `path` their UTF-8 reading for reports. */
interface LargeFile extends SkippedFile {
  name: Buffer;
}

function nulSeparated(items: Buffer[]): Buffer {
  return Buffer.concat(items.flatMap((item) => [item, Buffer.alloc(1)]));
}

/**
 * Every git invocation of the manager. Git runs on the host as the manager's user, so the rules are:
 * explicit GIT_DIR/GIT_WORK_TREE (never discovery, so a planted `.git` is just a directory), a fixed
 * config (above), no system/global config, an empty HOME, no hooks, and simple-git's unsafe-argument
 * checks left on. Only commands that print are used on the hot path: simple-git waits 50 ms extra
 * after a silent one.
 */
@Injectable()
export class GitRepository {
  private readonly logger = new Logger(GitRepository.name);
  private readonly home: string;
  private readonly timeoutMs: number;
  private readonly hostPath: string;

  constructor(config: ManagerConfig) {
    this.home = join(config.dataDir, 'git', '.home');
    this.timeoutMs = config.gitCommandTimeoutMs;
    this.hostPath = config.hostPath;
  }

  isInitialized(repo: RepoLocation): boolean {
    return existsSync(join(repo.gitDir, 'HEAD'));
  }

  workTreeExists(repo: RepoLocation): boolean {
    return existsSync(repo.workTree);
  }

  /** Creates the repository (idempotent) and (re)writes its fixed config. */
  async init(repo: RepoLocation): Promise<void> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    await mkdir(dirname(repo.gitDir), { recursive: true, mode: 0o700 });
    if (!this.isInitialized(repo)) {
      await this.git(repo, { cwd: dirname(repo.gitDir), withRepo: false }).raw(['init', '--bare', '--initial-branch=main', repo.gitDir]);
      // The template's sample hooks are inert (hooksPath points elsewhere), but nothing to run is better.
      await rm(join(repo.gitDir, 'hooks'), { recursive: true, force: true });
    }
    const temp = join(repo.gitDir, 'config.tmp');
    await writeFile(temp, FIXED_GIT_CONFIG, { mode: 0o600 });
    await rename(temp, join(repo.gitDir, 'config'));
  }

  async remove(repo: RepoLocation): Promise<void> {
    await rm(repo.gitDir, { recursive: true, force: true });
  }

  /**
   * Stages the whole work tree (honouring .gitignore), leaving out files larger than `maxFileBytes`
   * (0: no limit): they are neither hashed into the history nor kept in the index, so they stay
   * untracked and a restore leaves them alone. Returns whether anything was staged, and what was left out.
   * Paths reach git only on stdin, NUL-separated and as the bytes the file system holds: a name that
   * is not UTF-8 is still the file it names, and no number of large files can overflow a command line.
   *
   * Nested repositories (a directory with its own `.git`) are left out entirely. Git would record
   * one as a gitlink, and the next `add` then runs `git status` INSIDE it, with its own (planted)
   * config: fsmonitor, filters... So any gitlink the add just created is dropped from the index
   * again before anything else runs; one without a commit cannot even be added and is skipped.
   */
  async stageAll(repo: RepoLocation, maxFileBytes = 0): Promise<{ staged: boolean; skipped: SkippedFile[] }> {
    const large = await this.filesLargerThan(repo.workTree, maxFileBytes);
    const skipped = large.map(({ path, size }) => ({ path, size }));
    const pathspecs = [Buffer.from(':(top)'), ...large.map((file) => Buffer.concat([EXCLUDE_LITERAL, file.name]))];
    let output: string;
    for (let attempt = 1; ; attempt++) {
      try {
        output = await this.git(repo, { input: nulSeparated(pathspecs) }).raw(['add', '--all', '--verbose', '--ignore-errors', '--pathspec-from-file=-', '--pathspec-file-nul']);
        break;
      } catch (error) {
        if (!(error instanceof GitError)) throw error;
        if (workTreeChangedUnderAdd(error.message) && attempt < ADD_ATTEMPTS) continue;
        if (!onlyUnstageableNestedRepos(error.message)) throw error;
        output = error.message;
        break;
      }
    }
    // A file committed while small and grown since: out of the index too, so no checkpoint claims a stale copy.
    if (large.length > 0) output += await this.removeFromIndex(repo, large.map((file) => file.name));
    if (output.length === 0) return { staged: false, skipped };
    // The index as the add left it, read in-process (no git process): every gitlink in it is new,
    // since none is ever committed, and reading it cannot enter a nested repository.
    const gitlinks = indexGitlinks(await readFile(join(repo.gitDir, 'index')));
    if (gitlinks.length > 0) {
      await this.removeFromIndex(repo, gitlinks);
      this.logger.warn(`left ${gitlinks.length} nested repositories out of the checkpoint of ${repo.workTree}`);
    }
    return { staged: true, skipped };
  }

  /** Drops index entries by literal path (bytes, NUL-separated on stdin: never an option, never a pattern). */
  private removeFromIndex(repo: RepoLocation, paths: Buffer[]): Promise<string> {
    return this.git(repo, { input: nulSeparated(paths) }).raw(['update-index', '--verbose', '--force-remove', '-z', '--stdin']);
  }

  /**
   * Regular files above `maxBytes` in the work tree, names as raw bytes. `find` runs as the manager on
   * a hostile tree, so: never follows a symlink (-P), never leaves the workspace's filesystem (-xdev),
   * never enters a `.git` (git never tracks what is in one), NUL-separated output.
   */
  private async filesLargerThan(workTree: string, maxBytes: number): Promise<LargeFile[]> {
    if (maxBytes <= 0) return [];
    const { stdout } = await execFileAsync('find', ['-P', '.', '-xdev', '-name', '.git', '-prune', '-o', '-type', 'f', '-size', `+${maxBytes}c`, '-printf', '%s %P\\0'], {
      cwd: workTree,
      encoding: 'buffer',
      timeout: this.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
      env: { PATH: this.hostPath, LC_ALL: 'C' },
    });
    const files: LargeFile[] = [];
    for (let start = 0; start < stdout.length; ) {
      const end = stdout.indexOf(0, start);
      const record = stdout.subarray(start, end < 0 ? stdout.length : end);
      start = end < 0 ? stdout.length : end + 1;
      const space = record.indexOf(0x20);
      if (space <= 0) continue;
      const name = Buffer.from(record.subarray(space + 1));
      files.push({ name, path: name.toString('utf8'), size: Number(record.toString('latin1', 0, space)) });
    }
    return files;
  }

  /**
   * Commits the index. `null` when it equals HEAD (unless `allowEmpty`). The message is one argv
   * element (`--message=...`), so a leading `-` or `--upload-pack=` in it is text, not an option.
   */
  async commit(repo: RepoLocation, message: string, allowEmpty = false): Promise<CommitResult | null> {
    const git = this.git(repo);
    let output: string;
    try {
      // Full hashes in the summary (core.abbrev=40): the commit's own output says all a checkpoint records.
      output = await git.raw(['-c', 'core.abbrev=40', 'commit', '--no-verify', '--no-gpg-sign', '--cleanup=verbatim', `--message=${message}`, ...(allowEmpty ? ['--allow-empty'] : [])]);
    } catch (error) {
      if (error instanceof GitError && isNothingToCommit(error.message)) return null;
      throw error;
    }
    // "Nothing to commit" exits 1 with only stdout, which simple-git does not treat as an error.
    if (!isCommitSummary(output)) {
      if (isNothingToCommit(output)) return null;
      throw new Error(`unexpected git commit output: ${output.slice(0, 200)}`);
    }
    const { commitHash, filesChanged } = parseCommitSummary(output);
    return { commitHash, filesChanged };
  }

  /** The latest commit, null before the first one (rev-parse prints an error then, so no silent wait). */
  async head(repo: RepoLocation): Promise<string | null> {
    try {
      const hash = (await this.git(repo).raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
      return /^[0-9a-f]{40}$/.test(hash) ? hash : null;
    } catch {
      return null;
    }
  }

  /** Work tree vs index vs HEAD, untracked files listed one by one (one command, always prints). */
  async status(repo: RepoLocation): Promise<ParsedStatus> {
    return parseStatusV2(await this.git(repo).raw(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignore-submodules=all']));
  }

  /**
   * Unified diff between two commits, or between `from` and the current work tree (`to` null; the
   * caller stages first so new files show). Textconv and external diff drivers are off by flag as
   * well as by config; binary files are listed from numstat.
   */
  async diff(repo: RepoLocation, from: string, to: string | null, maxBytes: number): Promise<DiffResult> {
    const git = this.git(repo);
    const range = to === null ? ['--cached', from] : [from, to];
    const common = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '--ignore-submodules=all'];
    const [patch, numstat] = await Promise.all([git.raw(['diff', ...common, ...range]), git.raw(['diff', ...common, '--numstat', '-z', ...range])]);
    return { ...capDiff(patch, maxBytes), binaryFiles: parseBinaryFiles(numstat) };
  }

  /**
   * Makes index and work tree exactly `commit`'s tree: changed files rewritten, files it lacks
   * removed, modes set. Git's checkout refuses to write or delete "beyond a symbolic link": a
   * planted symlinked directory is replaced by a real one, never followed.
   */
  async checkoutTree(repo: RepoLocation, commit: string): Promise<void> {
    await this.git(repo).raw(['read-tree', '-u', '--reset', commit]);
  }

  /** Paths that exist in `to` and differ from `from` (added, modified, type-changed). */
  async writtenPaths(repo: RepoLocation, from: string | null, to: string): Promise<string[]> {
    const output = await this.git(repo).raw(['diff-tree', '-r', '-z', '--no-renames', '--name-only', '--diff-filter=d', from ?? EMPTY_TREE, to]);
    return parsePathList(output);
  }

  /** `input`: what git reads on stdin. `withRepo` false: no GIT_DIR/GIT_WORK_TREE (init, run from `cwd`). */
  private git(repo: RepoLocation, { input, cwd = repo.gitDir, withRepo = true }: { input?: Buffer; cwd?: string; withRepo?: boolean } = {}): SimpleGit {
    const env: Record<string, string> = {
      PATH: this.hostPath,
      HOME: this.home,
      XDG_CONFIG_HOME: this.home,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_ATTR_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_NO_REPLACE_OBJECTS: '1',
      GIT_CEILING_DIRECTORIES: dirname(repo.gitDir),
      ...(withRepo ? { GIT_DIR: repo.gitDir, GIT_WORK_TREE: repo.workTree } : {}),
    };
    return simpleGit({
      baseDir: cwd,
      maxConcurrentProcesses: 4,
      timeout: { block: this.timeoutMs },
      ...(input ? { input: () => input } : {}),
      // Everything but these is dropped from git's environment; `unsafe` is left at its defaults.
      allowEnvironment: ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CONFIG_NOSYSTEM', 'GIT_ATTR_NOSYSTEM', 'GIT_TERMINAL_PROMPT', 'GIT_NO_REPLACE_OBJECTS', 'GIT_CEILING_DIRECTORIES'],
    }).env(env);
  }
}
