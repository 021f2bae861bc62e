import { Logger } from '@nestjs/common';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagerConfig } from '../config/manager-config';
import type { LoopFilesystemRepository } from './loop-filesystem.repository';
import { WorkspaceRepository } from './workspace.repository';

describe(WorkspaceRepository.name, () => {
  let dataDir: string;
  const loop = (overrides: Partial<LoopFilesystemRepository>) =>
    ({ assertAvailable: jest.fn(async () => undefined), isMounted: jest.fn(async () => false), formatExt4: jest.fn(async () => undefined), mount: jest.fn(async () => undefined), unmount: jest.fn(async () => undefined), ...overrides }) as unknown as LoopFilesystemRepository;
  const repository = (workspaceQuotaMb: number, fake: LoopFilesystemRepository) => new WorkspaceRepository({ dataDir, workspaceQuotaMb } as ManagerConfig, fake);

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'workspace-repo-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('should refuse to boot with a quota when loop mounts are unavailable, naming the way out', async () => {
    const fake = loop({ assertAvailable: jest.fn(async () => Promise.reject(new Error('the manager does not run as root'))) });
    await expect(repository(1024, fake).onModuleInit()).rejects.toThrow(
      /^WORKSPACE_QUOTA_MB=1024 needs loop-mounted workspace filesystems, which are unavailable: the manager does not run as root\. .*set WORKSPACE_QUOTA_MB=0/,
    );
  });

  it('should boot without checking loop mounts when quotas are off', async () => {
    const fake = loop({ assertAvailable: jest.fn(async () => Promise.reject(new Error('no'))) });
    await expect(repository(0, fake).onModuleInit()).resolves.toBeUndefined();
    expect(fake.assertAvailable).not.toHaveBeenCalled();
  });

  it('should delete the new image when formatting it fails, and say which workspace failed', async () => {
    const fake = loop({ formatExt4: jest.fn(async () => Promise.reject(new Error('mkfs.ext4 failed: disk full'))) });
    await expect(repository(16, fake).ensure('s1', process.getuid?.() ?? 0)).rejects.toThrow('workspace filesystem of session s1 could not be mounted: mkfs.ext4 failed: disk full');
    expect(readdirSync(join(dataDir, 'volume-images'))).toEqual([]);
    expect(fake.mount).not.toHaveBeenCalled();
  });

  it('should mount the volume filesystem on the volume directory and make the workspace inside it', async () => {
    const fake = loop({});
    const workspace = await repository(16, fake).ensure('s1', process.getuid?.() ?? 0);
    expect(fake.formatExt4).toHaveBeenCalledWith(join(dataDir, 'volume-images', 's1.img'), { uid: 0, gid: 0 });
    expect(fake.mount).toHaveBeenCalledWith(join(dataDir, 'volume-images', 's1.img'), join(dataDir, 'volumes', 's1'));
    expect(workspace).toBe(join(dataDir, 'volumes', 's1', 'workspace'));
  });

  it('should refuse a workspace that is a symlink rather than follow it', async () => {
    const fake = loop({});
    const repo = repository(0, fake);
    await repo.ensure('s1', process.getuid?.() ?? 0);
    rmSync(join(dataDir, 'volumes', 's1', 'workspace'), { recursive: true });
    symlinkSync('/etc', join(dataDir, 'volumes', 's1', 'workspace'));
    await expect(repo.ensure('s1', process.getuid?.() ?? 0)).rejects.toThrow('workspace of session s1 is not a directory');
  });

  it('should keep a workspace that predates quotas as a plain directory instead of hiding its files', async () => {
    const fake = loop({});
    const repo = repository(0, fake);
    const dir = await repo.ensure('s1', process.getuid?.() ?? 0);
    writeFileSync(join(dir, 'old.txt'), 'old');
    await repository(16, fake).ensure('s1', process.getuid?.() ?? 0);
    expect(fake.formatExt4).not.toHaveBeenCalled();
    expect(fake.mount).not.toHaveBeenCalled();
  });
});
