import { Global, Module } from '@nestjs/common';
import { ManagerConfigModule } from '../../config/manager-config.module';
import { DockerRepository } from '../../repositories/docker.repository';
import { LoopFilesystemRepository } from '../../repositories/loop-filesystem.repository';
import { WorkspaceRepository } from '../../repositories/workspace.repository';
import { OutboxModule } from '../outbox/outbox.module';
import { TemplatesModule } from '../templates/templates.module';
import { SessionEvents } from './session-events';
import { SessionStateMachine } from './session-state-machine';
import { SessionsController } from './sessions.controller';
import { SessionsReconciler } from './sessions.reconciler';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

export { SESSION_MIGRATIONS } from './sessions.migrations';

/**
 * Sessions and their sandboxes. Global: exec, files, git and previews use the session service,
 * the Docker and workspace repositories and the lifecycle events from here (templates: the session
 * rows and Docker).
 */
@Global()
@Module({
  imports: [ManagerConfigModule, OutboxModule, TemplatesModule],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionStateMachine, SessionsService, SessionsReconciler, SessionEvents, DockerRepository, WorkspaceRepository, LoopFilesystemRepository],
  exports: [SessionsService, SessionStateMachine, SessionsRepository, SessionEvents, DockerRepository, WorkspaceRepository],
})
export class SessionsModule {}
