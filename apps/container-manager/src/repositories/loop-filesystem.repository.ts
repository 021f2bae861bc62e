import { Injectable, Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
/** mkfs of a sparse image with lazy init and a loop mount take milliseconds; this only bounds a stuck disk. */
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Small filesystems in image files, loop-mounted on a directory: every mkfs/mount/umount the manager
 * runs goes through here (argument arrays, no shell, bounded time). Needs root and loop devices.
 */
@Injectable()
export class LoopFilesystemRepository {
  private readonly logger = new Logger(LoopFilesystemRepository.name);

  /** Throws, saying why, when this process cannot make and loop-mount filesystems. */
  async assertAvailable(): Promise<void> {
    if (process.geteuid?.() !== 0) throw new Error('the manager does not run as root');
    await access('/dev/loop-control', constants.R_OK | constants.W_OK).catch(() => {
      throw new Error('/dev/loop-control is not available (no loop device support)');
    });
    await this.run('mkfs.ext4', ['-V']);
  }

  /** Formats `image` (an existing, sized file) as ext4 whose root belongs to `owner`; no blocks reserved for root. */
  async formatExt4(image: string, owner: { uid: number; gid: number }): Promise<void> {
    await this.run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `root_owner=${owner.uid}:${owner.gid},lazy_itable_init=1,lazy_journal_init=1`, image]);
  }

  /** Loop-mounts `image` on `target` without setuid binaries or device files. Not idempotent: check `isMounted` first. */
  async mount(image: string, target: string): Promise<void> {
    await this.run('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev', image, target]);
  }

  /** Bind-mounts the directory `source` on `target`, without setuid binaries or device files. */
  async bind(source: string, target: string): Promise<void> {
    await this.run('mount', ['--bind', '-o', 'nosuid,nodev', source, target]);
  }

  /**
   * Makes `dir` a mount point of its own whose mounts propagate to their copies (rshared), so a
   * mount made under it later also appears in containers that bound a directory below it with
   * rslave propagation. Idempotent.
   */
  async makeSharedMountPoint(dir: string): Promise<void> {
    if (!(await this.isMounted(dir))) await this.run('mount', ['--bind', dir, dir]);
    await this.run('mount', ['--make-rshared', dir]);
  }

  /** Unmounts whatever is mounted on `target` (idempotent); lazily when it is busy, so the caller can go on. */
  async unmount(target: string): Promise<void> {
    // Bounded: the same image may have been mounted more than once on the target.
    for (let attempt = 0; attempt < 3 && (await this.isMounted(target)); attempt++) {
      try {
        await this.run('umount', [target]);
      } catch (error) {
        this.logger.warn({ err: error, target }, 'unmount failed; detaching lazily');
        await this.run('umount', ['-l', target]);
      }
    }
    if (await this.isMounted(target)) throw new Error(`${target} is still mounted`);
  }

  /** Whether something is mounted exactly on `target` (as this process sees it). */
  async isMounted(target: string): Promise<boolean> {
    const resolved = await realpath(target).catch(() => null);
    if (!resolved) return false;
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    // Field 5 is the mount point, with space, tab, newline and backslash written as octal escapes.
    return mountinfo.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === resolved);
  }

  private async run(command: string, args: string[]): Promise<void> {
    try {
      await execFileAsync(command, args, { timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' });
    } catch (error) {
      const stderr = ((error as { stderr?: string | Buffer }).stderr ?? '').toString().trim();
      const reason = stderr || (error instanceof Error ? error.message : String(error));
      throw new Error(`${command} ${args.join(' ')} failed: ${reason}`.slice(0, 400), { cause: error });
    }
  }
}

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
