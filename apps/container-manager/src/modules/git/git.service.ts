import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CheckpointPage, CommitRequest, GitCheckpoint, GitDiff, GitStatus } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { KeyedMutex } from '../../common/keyed-mutex';
import { gitDir, volumeDir, workspaceDir } from '../../common/paths';
import { DatabaseService } from '../../database/database.service';
import { OutboxService } from '../outbox/outbox.service';
import { SessionsService } from '../sessions/sessions.service';
import { CheckpointsRepository } from './checkpoints.repository';
import { ManagerConfig } from '../../config/manager-config';
import { SessionErrors } from '../sessions/sessions.exception';
import { workTreeChangedUnderUpdate } from './git-output';
import { GitCommandError } from './git-runner';
import { GitRepository, RepoLocation, SkippedFile } from './git.repository';
import { WorkspaceOwnershipRepository } from './workspace-ownership.repository';

const DEFAULT_MESSAGE = 'Checkpoint';

/**
 * The checkpoint timeline of a session: one git commit per checkpoint, recorded in SQLite and
 * announced to the gateway through the outbox in the same transaction. Every operation on one
 * session runs in order (commit, restore, status and diff all touch the index).
 */
@Injectable()
export class GitService {
  private readonly logger = new Logger(GitService.name);
  private readonly serializer = new KeyedMutex();
  constructor(
    private readonly config: ManagerConfig,
    private readonly git: GitRepository,
    private readonly checkpoints: CheckpointsRepository,
    private readonly ownership: WorkspaceOwnershipRepository,
    private readonly sessions: SessionsService,
    private readonly database: DatabaseService,
    private readonly outbox: OutboxService,
  ) {}

  /** Creates the session's repository and checkpoints what the workspace already holds, if anything. */
  async initialize(sessionId: string): Promise<GitCheckpoint | null> {
    return this.serializer.run(sessionId, async () => {
      const repo = this.locate(sessionId);
      // The repository lives in the session's volume: without its workspace the volume is not mounted.
      if (!this.git.workTreeExists(repo)) return null;
      await this.git.init(repo);
      await this.git.removeStaleLocks(repo);
      return this.commitLocked(sessionId, repo, { description: 'Session created' });
    });
  }

  /** Removes the repository (the workspace is the sessions module's) and the session's timeline. */
  async destroy(sessionId: string): Promise<void> {
    await this.serializer.run(sessionId, async () => {
      await this.git.remove(this.locate(sessionId));
      this.checkpoints.deleteSession(sessionId);
    });
  }

  /**
   * A checkpoint of everything in the workspace, or null when nothing changed since the last one.
   * `label`: a caller's description always records one, since naming the current tree is what was
   * asked for, even when auto-commit already took that tree (the new checkpoint changes no file).
   */
  async commit(sessionId: string, request: CommitRequest = {}, options: { label?: boolean } = {}): Promise<GitCheckpoint | null> {
    this.requireSession(sessionId);
    const labelled = options.label === true && Boolean(request.description?.trim());
    return this.serializer.run(sessionId, async () => this.commitLocked(sessionId, await this.open(sessionId), request, labelled));
  }

  listCheckpoints(sessionId: string, limit: number, offset: number): CheckpointPage {
    this.requireSession(sessionId);
    return this.checkpoints.page(sessionId, limit, offset);
  }

  async status(sessionId: string): Promise<GitStatus> {
    this.requireSession(sessionId);
    return this.serializer.run(sessionId, async () => {
      const { head, files } = await this.git.status(await this.open(sessionId));
      return { clean: files.length === 0, head, files };
    });
  }

  /** `to` omitted: from the checkpoint to the workspace as it is now (new files included). */
  async diff(sessionId: string, from: string, to: string | null): Promise<GitDiff> {
    this.requireSession(sessionId);
    this.requireCheckpoint(sessionId, from);
    if (to !== null) this.requireCheckpoint(sessionId, to);
    return this.serializer.run(sessionId, async () => {
      const repo = await this.open(sessionId);
      if (to === null) await this.stage(sessionId, repo);
      const result = await this.git.diff(repo, from, to, this.config.gitDiffMaxBytes);
      return { from, to, ...result };
    });
  }

  /**
   * Makes the workspace exactly `commitHash`'s tree and records that as a new checkpoint. Unsaved
   * changes are checkpointed first, so a restore can itself be undone.
   */
  async restore(sessionId: string, commitHash: string): Promise<GitCheckpoint> {
    this.requireSession(sessionId);
    const target = this.requireCheckpoint(sessionId, commitHash);
    return this.serializer.run(sessionId, async () => {
      const repo = await this.open(sessionId);
      // Frozen from the checkpoint before to the one after: no process in the sandbox can swap a
      // directory for a symlink while git writes, nor keep the tree changing under either checkpoint.
      const { written, recorded } = await this.sessions.withSandboxFrozen(sessionId, async () => {
        await this.commitLocked(sessionId, repo, { description: `Before restore to ${commitHash.slice(0, 12)}` });
        const before = await this.git.head(repo);
        await this.git.checkoutTree(repo, target.commitHash);
        const paths = await this.git.writtenPaths(repo, before, target.commitHash);
        await this.ownership.giveBack(repo.workTree, paths, await this.ownership.ownerOf(repo.workTree));
        return { written: paths, recorded: await this.commitLocked(sessionId, repo, { description: `Restored checkpoint ${commitHash}` }, true) };
      });
      if (!recorded) throw new Error(`restore of ${commitHash} produced no commit`);
      this.logger.log(`session ${sessionId}: restored ${commitHash} (${written.length} paths written)`);
      return recorded;
    });
  }

  /** Waits for every queued git operation (shutdown, tests). */
  drain(): Promise<void> {
    return this.serializer.drain();
  }

  private async commitLocked(sessionId: string, repo: RepoLocation, request: CommitRequest, allowEmpty = false): Promise<GitCheckpoint | null> {
    const { skipped } = await this.stage(sessionId, repo);
    if (skipped.length > 0) this.logger.warn({ sessionId, skipped }, `left ${skipped.length} files larger than ${this.config.checkpointMaxFileBytes} bytes out of the checkpoint`);
    const description = request.description?.trim() ? request.description : null;
    const result = await this.diskFullAs413(sessionId, () => this.git.commit(repo, description ?? DEFAULT_MESSAGE, allowEmpty));
    if (!result) return null;
    const checkpoint: GitCheckpoint = {
      id: randomUUID(),
      sessionId,
      commitHash: result.commitHash,
      filesChanged: result.filesChanged,
      messageNumber: request.messageNumber ?? null,
      description,
      createdAt: new Date().toISOString(),
    };
    this.database.transaction(() => {
      this.checkpoints.insert(checkpoint);
      this.outbox.enqueue({
        type: 'checkpoint.recorded',
        sessionId,
        checkpoint: {
          sessionId,
          commitHash: checkpoint.commitHash,
          filesChanged: checkpoint.filesChanged,
          messageNumber: checkpoint.messageNumber,
          description: checkpoint.description,
        },
      });
    });
    return skipped.length > 0 ? { ...checkpoint, skippedFiles: skipped } : checkpoint;
  }

  /**
   * A running sandbox that keeps changing its tree past every staging attempt gets a 409 for this
   * checkpoint (the next one starts afresh), not a 500: nothing is wrong with the platform.
   */
  private async stage(sessionId: string, repo: RepoLocation): Promise<{ staged: boolean; skipped: SkippedFile[] }> {
    try {
      return await this.diskFullAs413(sessionId, () => this.git.stageAll(repo, this.config.checkpointMaxFileBytes));
    } catch (error) {
      if (error instanceof GitCommandError && workTreeChangedUnderUpdate(error.stderr)) {
        throw DomainException.conflict(`The workspace of session ${sessionId} kept changing while the checkpoint was taken; try again`);
      }
      throw error;
    }
  }

  /** History shares the session's filesystem with the workspace: when it is full, git says so and the caller gets a 413. */
  private async diskFullAs413<T>(sessionId: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof Error && /No space left on device|Disk quota exceeded/.test(error.message)) {
        throw SessionErrors.diskFull(this.sessions.quotaMbOf(sessionId), 'the checkpoint could not be written');
      }
      throw error;
    }
  }

  /**
   * The session's repository, created on first use if the session predates it. Called under the
   * session's git lock, where no git process of it runs: lock files a killed one left (a manager
   * crash mid-checkpoint, a git killed for its timeout) are removed first, or every write would fail.
   */
  private async open(sessionId: string): Promise<RepoLocation> {
    const repo = this.locate(sessionId);
    if (!this.git.workTreeExists(repo)) throw DomainException.conflict(`Workspace of session ${sessionId} does not exist`);
    if (!this.git.isInitialized(repo)) await this.git.init(repo);
    else await this.git.removeStaleLocks(repo);
    return repo;
  }

  private locate(sessionId: string): RepoLocation {
    return { volume: volumeDir(this.config.dataDir, sessionId), gitDir: gitDir(this.config.dataDir, sessionId), workTree: workspaceDir(this.config.dataDir, sessionId) };
  }

  /** 404 for an unknown or deleted session (the sessions module's rule). */
  private requireSession(sessionId: string): void {
    this.sessions.get(sessionId);
  }

  private requireCheckpoint(sessionId: string, commitHash: string): GitCheckpoint {
    const checkpoint = this.checkpoints.find(sessionId, commitHash);
    if (!checkpoint) throw DomainException.notFound(`Checkpoint ${commitHash} not found in session ${sessionId}`);
    return checkpoint;
  }
}
