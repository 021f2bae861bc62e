import { Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ManagerConfig } from '../config/manager-config';
import { workspaceDir } from '../common/paths';

/**
 * The host side of workspaces. The manager runs as root and the sandbox can plant anything inside a
 * workspace, so nothing here follows a link below the workspace directory: the directory itself is
 * created by us (refusing a pre-existing symlink), and removal uses `rm`, which unlinks symlinks
 * instead of following them. File contents are only ever touched from inside the sandbox.
 */
@Injectable()
export class WorkspaceRepository {
  constructor(private readonly config: ManagerConfig) {}

  path(sessionId: string): string {
    return workspaceDir(this.config.dataDir, sessionId);
  }

  /** Creates the workspace (idempotent), owned by the sandbox user, and returns its host path. */
  async ensure(sessionId: string, uid: number): Promise<string> {
    const dir = this.path(sessionId);
    await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
    try {
      await mkdir(dir, { mode: 0o755 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stat = await lstat(dir);
    if (!stat.isDirectory()) throw new Error(`workspace of session ${sessionId} is not a directory`);
    // chown through a descriptor opened with O_NOFOLLOW|O_DIRECTORY: never a path a link could redirect.
    const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await handle.chown(uid, uid);
    } finally {
      await handle.close();
    }
    return dir;
  }

  async remove(sessionId: string): Promise<void> {
    await rm(this.path(sessionId), { recursive: true, force: true });
  }
}

