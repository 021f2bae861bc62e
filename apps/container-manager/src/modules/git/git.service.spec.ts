import { ErrorCode } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import type { ManagerConfig } from '../../config/manager-config';
import type { DatabaseService } from '../../database/database.service';
import type { OutboxService } from '../outbox/outbox.service';
import type { SessionsService } from '../sessions/sessions.service';
import type { CheckpointsRepository } from './checkpoints.repository';
import { GitCommandError } from './git-runner';
import type { GitRepository } from './git.repository';
import { GitService } from './git.service';
import type { WorkspaceOwnershipRepository } from './workspace-ownership.repository';

const SESSION = '0b6a5c3e-1f2d-4c5b-9a8e-7d6c5b4a3f21';

/** GitService over fakes of its repositories: the rules of a commit, not git itself (git.int-spec.ts). */
function newGitService(stageAll: GitRepository['stageAll']): GitService {
  const git = { workTreeExists: () => true, isInitialized: () => true, removeStaleLocks: () => Promise.resolve([]), stageAll, commit: jest.fn() } as unknown as GitRepository;
  const sessions = { get: () => ({ id: SESSION }), quotaMbOf: () => 32 } as unknown as SessionsService;
  const config = { dataDir: '/data', checkpointMaxFileBytes: 64 * 1024 * 1024 } as ManagerConfig;
  return new GitService(config, git, {} as CheckpointsRepository, {} as WorkspaceOwnershipRepository, sessions, {} as DatabaseService, {} as OutboxService);
}

describe('GitService.commit', () => {
  it('should answer 409 when a running sandbox keeps changing its tree past every staging attempt', async () => {
    const raced = new GitCommandError('update-index', 128, Buffer.alloc(0), "error: 'dir/file' is beyond a symbolic link\nfatal: Unable to process path dir/file\n");
    const service = newGitService(() => Promise.reject(raced));
    const error = await service.commit(SESSION).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainException);
    expect(error).toMatchObject({ code: ErrorCode.Conflict, message: `The workspace of session ${SESSION} kept changing while the checkpoint was taken; try again` });
  });

  it('should let any other git failure through unchanged', async () => {
    const broken = new GitCommandError('update-index', 128, Buffer.alloc(0), 'error: open("big"): Permission denied\nfatal: Unable to process path big\n');
    const service = newGitService(() => Promise.reject(broken));
    await expect(service.commit(SESSION)).rejects.toBe(broken);
  });
});
