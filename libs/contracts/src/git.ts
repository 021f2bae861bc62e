/** Body of POST /api/internal/git-checkpoints on the gateway (docs/api.md, api-gateway: internal routes). */
export interface CheckpointNotification {
  sessionId: string;
  commitHash: string;
  filesChanged: number;
  messageNumber: number | null;
  description: string | null;
}

export interface GitCheckpoint extends CheckpointNotification {
  id: string;
  createdAt: string;
  /** Files left out of this checkpoint for being larger than the manager's per-file limit (only on the commit's own answer). */
  skippedFiles?: { path: string; size: number }[];
}

export interface CommitRequest {
  description?: string;
  messageNumber?: number;
}

export type CommitResponse = GitCheckpoint | { committed: false };

export interface CheckpointPage {
  checkpoints: GitCheckpoint[];
  total: number;
}

export interface GitStatusEntry {
  path: string;
  index: string;
  workingDir: string;
}

export interface GitStatus {
  clean: boolean;
  head: string | null;
  files: GitStatusEntry[];
}

export interface GitDiff {
  from: string;
  to: string | null;
  diff: string;
  truncated: boolean;
  binaryFiles: string[];
}

export interface RestoreRequest {
  commitHash: string;
}

export const COMMIT_HASH_PATTERN = /^[0-9a-f]{40}$/;
/** A commit hash as the public API takes it: whole, or a prefix of at least 4 characters (resolved among the session's checkpoints). */
export const COMMIT_REF_PATTERN = /^[0-9a-f]{4,40}$/;
