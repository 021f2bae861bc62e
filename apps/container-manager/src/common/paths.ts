import { join } from 'node:path';

/**
 * Where a session's files live on the host. Everything a session stores (its workspace, its git
 * history, later its command logs) sits under one volume directory, which is the mount point of the
 * session's own filesystem when quotas are on: the quota bounds the whole host footprint. Only the
 * `workspace` subdirectory is mounted into the sandbox.
 */
export function volumeDir(dataDir: string, sessionId: string): string {
  return join(dataDir, 'volumes', sessionId);
}

/** The sandbox's /workspace: the part of the volume the sandbox can see and write. */
export function workspaceDir(dataDir: string, sessionId: string): string {
  return join(volumeDir(dataDir, sessionId), 'workspace');
}

/** The ext4 image holding a session's volume filesystem (the quota): next to, never inside, the volume. */
export function volumeImage(dataDir: string, sessionId: string): string {
  return join(dataDir, 'volume-images', `${sessionId}.img`);
}

/** Git metadata of a session: inside the volume (so the quota covers it) but outside the workspace, so the sandbox can never write it. */
export function gitDir(dataDir: string, sessionId: string): string {
  return join(volumeDir(dataDir, sessionId), 'git');
}

export function containerName(sessionId: string): string {
  return `sandbox-session-${sessionId}`;
}

/** Labels every sandbox container carries; reconciliation finds containers by the first. */
export const SESSION_LABEL = 'sandbox.session-id';
export const MANAGED_LABEL = 'sandbox.managed';
export const TEST_LABEL = 'sandbox.test';
/** Version (hash) of the agent a sandbox was created with; absent on sandboxes without one. */
export const AGENT_LABEL = 'sandbox.agent';
/** Which manager (by data directory) owns a container: reconciliation only touches its own. */
export const MANAGER_LABEL = 'sandbox.manager-id';
/** Pooled sandboxes (docs/sandboxes.md, "Warm pool"): the template they were made for, and their slot. */
export const POOL_LABEL = 'sandbox.pool';
export const POOL_SLOT_LABEL = 'sandbox.pool-slot';

const SESSION_CONTAINER_NAME = /^\/?sandbox-session-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * The session a container serves: its session label, or for a pooled container (created before its
 * session existed, and labels cannot change) the session it was renamed for when claimed. Only the
 * manager names containers; an unclaimed pooled container serves none.
 */
export function sessionOfContainer(labels: Record<string, string> | undefined, name: string | undefined): string | null {
  const label = labels?.[SESSION_LABEL];
  if (label) return label;
  if (!labels?.[POOL_LABEL] || !name) return null;
  return SESSION_CONTAINER_NAME.exec(name)?.[1] ?? null;
}

/** Where the warm pool keeps its slots (the directories pooled containers mount as /workspace). */
export function poolDir(dataDir: string): string {
  return join(dataDir, 'pool');
}
