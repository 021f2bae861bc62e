import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ManagerConfig } from '../config/manager-config';
import { workspaceDir, workspaceImage } from '../common/paths';
import { LoopFilesystemRepository } from './loop-filesystem.repository';

const MIB = 1024 * 1024;

/**
 * The host side of workspaces. The manager runs as root and the sandbox can plant anything inside a
 * workspace, so nothing here follows a link below the workspace directory: the directory itself is
 * created by us (refusing a pre-existing symlink), and removal uses `rm`, which unlinks symlinks
 * instead of following them. File contents are only ever touched from inside the sandbox.
 *
 * With WORKSPACE_QUOTA_MB > 0 each workspace is its own ext4 filesystem: a sparse image file of that
 * size, loop-mounted on the workspace directory, so a sandbox filling its workspace fills only that.
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

  path(sessionId: string): string {
    return workspaceDir(this.config.dataDir, sessionId);
  }

  imagePath(sessionId: string): string {
    return workspaceImage(this.config.dataDir, sessionId);
  }

  /**
   * Creates the workspace (idempotent), owned by the sandbox user, and returns its host path. With a
   * quota, its filesystem is created on first use and mounted again whenever it is not mounted.
   */
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
    if (this.config.workspaceQuotaMb > 0) await this.mountFilesystem(sessionId, dir, uid);
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
   * Mounts an existing workspace image that is not mounted (after a host reboot, or whatever
   * unmounted it), so git and a later start see the files. Creates nothing. Returns whether it mounted.
   */
  async remount(sessionId: string): Promise<boolean> {
    const dir = this.path(sessionId);
    const image = this.imagePath(sessionId);
    if (!(await isFile(image)) || !(await isDirectory(dir)) || (await this.loop.isMounted(dir))) return false;
    await this.loop.mount(image, dir);
    return true;
  }

  /** Removes the workspace: unmounts its filesystem (idempotent), then deletes the directory and the image. */
  async remove(sessionId: string): Promise<void> {
    const dir = this.path(sessionId);
    await this.loop.unmount(dir);
    await rm(dir, { recursive: true, force: true });
    await rm(this.imagePath(sessionId), { force: true });
  }

  private async mountFilesystem(sessionId: string, dir: string, uid: number): Promise<void> {
    if (await this.loop.isMounted(dir)) return;
    const image = this.imagePath(sessionId);
    try {
      if (await isFile(image)) return await this.loop.mount(image, dir);
      if ((await readdir(dir)).length > 0) {
        // Created before quotas were turned on: mounting an empty filesystem over it would hide its files.
        this.logger.warn({ sessionId }, 'workspace predates WORKSPACE_QUOTA_MB and keeps running without a quota');
        return;
      }
      await this.createFilesystem(image, dir, uid);
    } catch (error) {
      throw new Error(`workspace filesystem of session ${sessionId} could not be mounted: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Sparse image, ext4, mounted; on any failure nothing is left behind (no image, no mount). */
  private async createFilesystem(image: string, dir: string, uid: number): Promise<void> {
    await mkdir(dirname(image), { recursive: true, mode: 0o700 });
    const handle = await open(image, 'wx', 0o600);
    let mounted = false;
    try {
      try {
        await handle.truncate(this.config.workspaceQuotaMb * MIB); // sparse: blocks are allocated as files are written
      } finally {
        await handle.close();
      }
      await this.loop.formatExt4(image, { uid, gid: uid });
      await this.loop.mount(image, dir);
      mounted = true;
      // mkfs creates lost+found (root-owned): it would show up in file listings and git status.
      await rmdir(join(dir, 'lost+found'));
    } catch (error) {
      if (mounted) await this.loop.unmount(dir).catch((cause: unknown) => this.logger.error({ err: cause, dir }, 'could not unmount a failed workspace'));
      await rm(image, { force: true });
      throw error;
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  return lstat(path).then((stats) => stats.isFile(), () => false);
}

async function isDirectory(path: string): Promise<boolean> {
  return lstat(path).then((stats) => stats.isDirectory(), () => false);
}
