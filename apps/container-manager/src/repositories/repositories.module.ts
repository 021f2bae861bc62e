import { Module } from '@nestjs/common';
import { SessionsRepository } from '../modules/sessions/sessions.repository';
import { DockerRepository } from './docker.repository';
import { LoopFilesystemRepository } from './loop-filesystem.repository';
import { SandboxAgentRepository } from './sandbox-agent/sandbox-agent.repository';
import { WorkspaceRepository } from './workspace.repository';

/**
 * The I/O adapters several feature modules share, one instance each for the app: the Docker client,
 * workspaces and their filesystems, the sandbox agents' connections and the session rows (templates
 * count the sessions using one). A module imports this for what it uses; nothing here is global.
 */
@Module({
  providers: [DockerRepository, WorkspaceRepository, LoopFilesystemRepository, SandboxAgentRepository, SessionsRepository],
  exports: [DockerRepository, WorkspaceRepository, LoopFilesystemRepository, SandboxAgentRepository, SessionsRepository],
})
export class RepositoriesModule {}
