import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { AutoCommitScheduler } from './auto-commit.scheduler';
import { CheckpointsRepository } from './checkpoints.repository';
import { GitController } from './git.controller';
import { GitRepository } from './git.repository';
import { GitRunner } from './git-runner';
import { GitService } from './git.service';
import { WorkspaceOwnershipRepository } from './workspace-ownership.repository';

export { GIT_MIGRATIONS } from './git.migrations';

/**
 * Git checkpoint timeline of every session. Needs DatabaseService and OutboxService (global), and
 * SessionEvents and SessionsService from the sessions module.
 */
@Module({
  imports: [SessionsModule],
  controllers: [GitController],
  providers: [GitRunner, GitRepository, CheckpointsRepository, WorkspaceOwnershipRepository, GitService, AutoCommitScheduler],
  exports: [GitService],
})
export class GitModule {}
