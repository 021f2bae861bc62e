import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ManagerConfig } from '../config/manager-config';
import { volumeDir, volumeImage, workspaceDir } from '../common/paths';
import { LoopFilesystemRepository } from './loop-filesystem.repository';

const MIB = 1024 * 1024;

/**
 * The host side of a session's volume: the directory holding its workspace and its git history.
 * The manager runs as root and the sandbox can plant anything inside a workspace, so nothing here
 * follows a link below the workspace directory: the directories are created by us (refusing a
 * pre-existing symlink), and removal uses `rm`, which unlinks symlinks instead of following them.
 * File contents are only ever touched from inside the sandbox.
 *
 * With WORKSPACE_QUOTA_MB > 0 each volume is its own ext4 filesystem: a sparse image file of that
 * size, loop-mounted on the volume directory. The workspace and the git history share it, so a
 * session's whole host footprint stays within the quota and a full session fills only that.
 */
@Injectable()
export class WorkspaceRepository implements OnModuleInit {
  private readonly logger = new Logger(WorkspaceRepository.name);

  constructor(
    private readonly config: ManagerConfig,
    private readonly loop: LoopFilesystemRepository,
  ) {}

  /** Refuses to boot with quotas on where loop mounts cannot work, rather than failing every create. */
  async onModuleInit(): Promise<void> {
    const quotaMb = this.config.workspaceQuotaMb;
    if (quotaMb === 0) return;
    try {
      await this.loop.assertAvailable();
    } catch (error) {
      throw new Error(
        `WORKSPACE_QUOTA_MB=${quotaMb} needs loop-mounted workspace filesystems, which are unavailable: ${(error as Error).message}. ` +
          'Run the container-manager as root on a host with loop devices, or set WORKSPACE_QUOTA_MB=0 to run without workspace quotas.',
        { cause: error },
      );
    }
  }

  /** The workspace's host path (what the sandbox sees as /workspace). */
  path(sessionId: string): string {
    return workspaceDir(this.config.dataDir, sessionId);
  }

  volumePath(sessionId: string): string {
    return volumeDir(this.config.dataDir, sessionId);
  }

  imagePath(sessionId: string): string {
    return volumeImage(this.config.dataDir, sessionId);
  }

  /**
   * Creates the volume and its workspace (idempotent), the workspace owned by the sandbox user, and
   * returns the workspace's host path. With quotas on, the volume's filesystem (`quotaMb`, by default
   * WORKSPACE_QUOTA_MB) is created on first use and mounted again whenever it is not mounted.
   */
  async ensure(sessionId: string, uid: number, quotaMb: number | null = null): Promise<string> {
    const volume = this.volumePath(sessionId);
    await mkdir(dirname(volume), { recursive: true, mode: 0o755 });
    await makeDirectory(volume, `volume of session ${sessionId}`);
    if (this.config.workspaceQuotaMb > 0) await this.mountFilesystem(sessionId, volume, quotaMb ?? this.config.workspaceQuotaMb);
    const dir = this.path(sessionId);
    await makeDirectory(dir, `workspace of session ${sessionId}`);
    // chown through a descriptor opened with O_NOFOLLOW|O_DIRECTORY: never a path a link could redirect.
    const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await handle.chown(uid, uid);
    } finally {
      await handle.close();
    }
    return dir;
  }

  /**
   * Mounts an existing volume image that is not mounted (after a host reboot, or whatever unmounted
   * it), so git and a later start see the files. Creates nothing. Returns whether it mounted.
   */
  async remount(sessionId: string): Promise<boolean> {
    const volume = this.volumePath(sessionId);
    const image = this.imagePath(sessionId);
    if (!(await isFile(image)) || !(await isDirectory(volume)) || (await this.loop.isMounted(volume))) return false;
    await this.loop.mount(image, volume);
    return true;
  }

  /**
   * Bytes in use on the session's own filesystem (its used blocks: workspace, git history and the
   * filesystem's own metadata); null without quotas (no filesystem of its own) or when it is not mounted.
   */
  async diskUsage(sessionId: string): Promise<number | null> {
    if (this.config.workspaceQuotaMb === 0) return null;
    const volume = this.volumePath(sessionId);
    if (!(await this.loop.isMounted(volume))) return null;
    const stats = await statfs(volume);
    return (stats.blocks - stats.bfree) * stats.bsize;
  }

  /** Removes the volume: unmounts its filesystem (idempotent), then deletes the directory and the image. */
  async remove(sessionId: string): Promise<void> {
    const volume = this.volumePath(sessionId);
    await this.loop.unmount(volume);
    await rm(volume, { recursive: true, force: true });
    await rm(this.imagePath(sessionId), { force: true });
  }

  private async mountFilesystem(sessionId: string, volume: string, quotaMb: number): Promise<void> {
    if (await this.loop.isMounted(volume)) return;
    const image = this.imagePath(sessionId);
    try {
      if (await isFile(image)) return await this.loop.mount(image, volume);
      if ((await readdir(volume)).length > 0) {
        // Created before quotas were turned on: mounting an empty filesystem over it would hide its files.
        this.logger.warn({ sessionId }, 'volume predates WORKSPACE_QUOTA_MB and keeps running without a quota');
        return;
      }
      await this.createFilesystem(image, volume, quotaMb);
    } catch (error) {
      throw new Error(`workspace filesystem of session ${sessionId} could not be mounted: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Sparse image, ext4 (root owned by root: the sandbox only ever sees the workspace inside), mounted; on a failure no image is left behind. */
  private async createFilesystem(image: string, dir: string, quotaMb: number): Promise<void> {
    await mkdir(dirname(image), { recursive: true, mode: 0o700 });
    const handle = await open(image, 'wx', 0o600);
    try {
      try {
        await handle.truncate(quotaMb * MIB); // sparse: blocks are allocated as files are written
      } finally {
        await handle.close();
      }
      await this.loop.formatExt4(image, { uid: 0, gid: 0 });
      await this.loop.mount(image, dir);
    } catch (error) {
      await rm(image, { force: true });
      throw error;
    }
  }
}

/** mkdir that accepts an existing directory but never a symlink or file in its place. */
async function makeDirectory(path: string, what: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!(await lstat(path)).isDirectory()) throw new Error(`${what} is not a directory`);
}

async function isFile(path: string): Promise<boolean> {
  return lstat(path).then((stats) => stats.isFile(), () => false);
}

async function isDirectory(path: string): Promise<boolean> {
  return lstat(path).then((stats) => stats.isDirectory(), () => false);
}
