import { Module } from '@nestjs/common';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { SessionsModule } from '../sessions/sessions.module';
import { WorkspaceWatchFeeder } from './workspace-watch.feeder';

/**
 * The workspace watch that feeds auto-checkpoints, over the agents' connections (SandboxAgentRepository,
 * in the repositories module: sessions set up a sandbox's agent, exec, files, commands and the
 * terminal talk to it).
 */
@Module({ imports: [SessionsModule, RepositoriesModule], providers: [WorkspaceWatchFeeder] })
export class SandboxAgentModule {}
