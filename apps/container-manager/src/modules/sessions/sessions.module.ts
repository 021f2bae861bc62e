import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ManagerConfigModule } from '../../config/manager-config.module';
import { DockerRepository } from '../../repositories/docker.repository';
import { LoopFilesystemRepository } from '../../repositories/loop-filesystem.repository';
import { WorkspaceRepository } from '../../repositories/workspace.repository';
import { OutboxModule } from '../outbox/outbox.module';
import { TemplatesModule } from '../templates/templates.module';
import { ContainerMonitor } from './container-monitor';
import { LifecycleScheduler } from './lifecycle.scheduler';
import { SandboxUseInterceptor } from './sandbox-use.interceptor';
import { SessionActivity } from './session-activity';
import { SessionEvents } from './session-events';
import { SessionUsageService } from './session-usage.service';
import { SessionStateMachine } from './session-state-machine';
import { SessionsController } from './sessions.controller';
import { SessionsReconciler } from './sessions.reconciler';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { WarmPool } from './warm-pool';

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
  providers: [
    SessionsRepository,
    SessionStateMachine,
    SessionsService,
    SessionsReconciler,
    SessionEvents,
    SessionActivity,
    ContainerMonitor,
    LifecycleScheduler,
    SessionUsageService,
    { provide: APP_INTERCEPTOR, useClass: SandboxUseInterceptor },
    DockerRepository,
    WorkspaceRepository,
    LoopFilesystemRepository,
    WarmPool,
  ],
  exports: [SessionsService, SessionStateMachine, SessionsRepository, SessionEvents, SessionActivity, SessionUsageService, DockerRepository, WorkspaceRepository, WarmPool],
})
export class SessionsModule {}
