import { Injectable, Logger } from '@nestjs/common';
import { lchown, lstat } from 'node:fs/promises';

const SLASH = 0x2f;
const DOT = Buffer.from('.');
const DOT_DOT = Buffer.from('..');

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

  /**
   * `lchown`s each path and every directory between it and the workspace root. Paths are the bytes
   * git names them by (a name need not be UTF-8), relative, `/`-separated.
   */
  async giveBack(workTree: string, relativePaths: Buffer[], owner: { uid: number; gid: number }): Promise<number> {
    const root = Buffer.from(`${workTree}/`);
    const done = new Set<string>();
    let changed = 0;
    for (const relative of relativePaths) {
      const ends = componentEnds(relative);
      if (!ends) continue;
      let safe = true;
      for (let depth = 0; depth < ends.length && safe; depth++) {
        const current = Buffer.concat([root, relative.subarray(0, ends[depth])]);
        const key = current.toString('latin1');
        if (done.has(key)) continue;
        const isLeaf = depth === ends.length - 1;
        const stats = await lstat(current).catch(() => null);
        if (!stats) {
          safe = false;
          break;
        }
        if (!isLeaf && !stats.isDirectory()) {
          // A symlink (or anything else) where a directory should be: do not go through it.
          this.logger.warn(`not changing owner below ${current.subarray(root.length).toString('utf8')}: not a directory`);
          safe = false;
          break;
        }
        if (stats.uid !== owner.uid || stats.gid !== owner.gid) {
          await lchown(current, owner.uid, owner.gid);
          changed++;
        }
        done.add(key);
      }
    }
    return changed;
  }
}

/** Where each component of a relative path ends; null unless the path is plain (no empty, `.` or `..` component). */
function componentEnds(relative: Buffer): number[] | null {
  const ends: number[] = [];
  for (let start = 0; start <= relative.length; ) {
    const slash = relative.indexOf(SLASH, start);
    const end = slash < 0 ? relative.length : slash;
    const part = relative.subarray(start, end);
    if (part.length === 0 || part.equals(DOT) || part.equals(DOT_DOT)) return null;
    ends.push(end);
    start = end + 1;
  }
  return ends;
}
