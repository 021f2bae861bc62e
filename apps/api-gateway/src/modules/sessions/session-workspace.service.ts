import { Injectable } from '@nestjs/common';
import { ContainerManagerClient } from '@sandbox/clients';
import { GitDiff, GitStatus } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CheckpointRefsRepository } from './checkpoint-refs.repository';
import type { CheckpointRecord } from './sessions.repository';
import { SessionsService } from './sessions.service';

export const CheckpointRefErrors = {
  notFound: (ref: string, sessionId: string) => `Checkpoint ${ref} not found in session ${sessionId}`,
  ambiguous: (ref: string, sessionId: string) => `Commit hash ${ref} is ambiguous in session ${sessionId}: give more characters`,
} as const;

/**
 * The git timeline and preview settings of one of the caller's sessions over GraphQL: status, diffs
 * between checkpoints (short hashes accepted), unregistering previews and making them private or
 * public. Ownership is checked first, as for every session operation.
 */
@Injectable()
export class SessionWorkspaceService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly refs: CheckpointRefsRepository,
    private readonly manager: ContainerManagerClient,
  ) {}

  async gitStatus(user: AuthenticatedUser, sessionId: string): Promise<GitStatus> {
    await this.sessions.get(user, sessionId);
    return this.manager.gitStatus(sessionId);
  }

  async gitDiff(user: AuthenticatedUser, sessionId: string, from: string, to?: string): Promise<GitDiff> {
    await this.sessions.get(user, sessionId);
    const fromHash = await this.resolveCommit(sessionId, from);
    const toHash = to === undefined ? undefined : await this.resolveCommit(sessionId, to);
    return this.manager.diff(sessionId, fromHash, toHash);
  }

  /**
   * The full hash of the session's checkpoint that `ref` names: the hash itself or a unique prefix
   * (404 when none matches, 400 when several do).
   */
  async resolveCommit(sessionId: string, ref: string): Promise<string> {
    const matches = await this.refs.hashesStartingWith(sessionId, ref);
    if (matches.length === 0) throw DomainException.notFound(CheckpointRefErrors.notFound(ref, sessionId));
    if (matches.length > 1) throw DomainException.badRequest(CheckpointRefErrors.ambiguous(ref, sessionId));
    return matches[0];
  }

  async restoreCheckpoint(user: AuthenticatedUser, sessionId: string, ref: string): Promise<CheckpointRecord> {
    await this.sessions.get(user, sessionId);
    return this.sessions.restore(user, sessionId, await this.resolveCommit(sessionId, ref));
  }

  async unregisterPreview(user: AuthenticatedUser, sessionId: string, port: number): Promise<boolean> {
    await this.sessions.get(user, sessionId);
    await this.manager.unregisterPreview(sessionId, port);
    return true;
  }

  /** Private: a new token (returned once, earlier ones stop working). Public: no token needed any more. */
  async setPreviewPrivate(user: AuthenticatedUser, sessionId: string, port: number, makePrivate: boolean): Promise<{ sessionId: string; port: number; private: boolean; token: string | null }> {
    await this.sessions.get(user, sessionId);
    if (makePrivate) {
      const { token } = await this.manager.issuePreviewToken(sessionId, port);
      return { sessionId, port, private: true, token };
    }
    await this.manager.makePreviewPublic(sessionId, port);
    return { sessionId, port, private: false, token: null };
  }
}
