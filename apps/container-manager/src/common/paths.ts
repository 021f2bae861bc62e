import { join } from 'node:path';

/** Where a session's files live on the host. Only the workspace is mounted into the sandbox. */
export function workspaceDir(dataDir: string, sessionId: string): string {
  return join(dataDir, 'workspaces', sessionId);
}

/** The ext4 image holding a session's workspace filesystem (the quota): next to, never inside, the workspace. */
export function workspaceImage(dataDir: string, sessionId: string): string {
  return join(dataDir, 'workspace-images', `${sessionId}.img`);
}

/** Git metadata of a session: outside the workspace mount, so the sandbox can never write it. */
export function gitDir(dataDir: string, sessionId: string): string {
  return join(dataDir, 'git', `${sessionId}.git`);
}

export function containerName(sessionId: string): string {
  return `sandbox-session-${sessionId}`;
}

/** Labels every sandbox container carries; reconciliation finds containers by the first. */
export const SESSION_LABEL = 'sandbox.session-id';
export const MANAGED_LABEL = 'sandbox.managed';
export const TEST_LABEL = 'sandbox.test';
/** Which manager (by data directory) owns a container: reconciliation only touches its own. */
export const MANAGER_LABEL = 'sandbox.manager-id';
