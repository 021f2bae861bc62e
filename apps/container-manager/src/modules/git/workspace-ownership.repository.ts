import { Injectable, Logger } from '@nestjs/common';
import { lchown, lstat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * Gives files the manager wrote into a workspace back to the sandbox user. Git runs as the
 * manager's user (root), so a restored file would otherwise be root-owned and read-only for the
 * sandbox. Never follows a symlink: `lchown` changes the link itself, and a path whose parent
 * directories are not all real directories is skipped (it would lead outside the workspace).
 */
@Injectable()
export class WorkspaceOwnershipRepository {
  private readonly logger = new Logger(WorkspaceOwnershipRepository.name);

  /** The uid/gid owning the workspace root: the sandbox user the directory was created for. */
  async ownerOf(workTree: string): Promise<{ uid: number; gid: number }> {
    const stats = await lstat(workTree);
    return { uid: stats.uid, gid: stats.gid };
  }

  /** `lchown`s each path and every directory between it and the workspace root. */
  async giveBack(workTree: string, relativePaths: string[], owner: { uid: number; gid: number }): Promise<number> {
    const done = new Set<string>();
    let changed = 0;
    for (const relative of relativePaths) {
      const parts = relative.split('/').filter((part) => part.length > 0 && part !== '.' && part !== '..');
      if (parts.length === 0 || parts.join('/') !== relative) continue;
      let current = workTree;
      let safe = true;
      for (let depth = 0; depth < parts.length && safe; depth++) {
        current = join(current, parts[depth]);
        if (done.has(current)) continue;
        const isLeaf = depth === parts.length - 1;
        const stats = await lstat(current).catch(() => null);
        if (!stats) {
          safe = false;
          break;
        }
        if (!isLeaf && !stats.isDirectory()) {
          // A symlink (or anything else) where a directory should be: do not go through it.
          this.logger.warn(`not changing owner below ${relative.split('/').slice(0, depth + 1).join(sep)}: not a directory`);
          safe = false;
          break;
        }
        if (stats.uid !== owner.uid || stats.gid !== owner.gid) {
          await lchown(current, owner.uid, owner.gid);
          changed++;
        }
        done.add(current);
      }
    }
    return changed;
  }
}
