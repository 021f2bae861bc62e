import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ManagerConfigModule } from '../../config/manager-config.module';
import { RepositoriesModule } from '../../repositories/repositories.module';
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
import { SessionsService } from './sessions.service';
import { WarmPool } from './warm-pool';

export { SESSION_MIGRATIONS } from './sessions.migrations';

/**
 * Sessions and their sandboxes. Exec, files, commands, the terminal, git and previews import it for
 * the session service, the state machine, activity, usage and the lifecycle events; the I/O adapters
 * are the repositories module's.
 */
@Module({
  imports: [ManagerConfigModule, OutboxModule, RepositoriesModule, TemplatesModule],
  controllers: [SessionsController],
  providers: [
    SessionStateMachine,
    SessionsService,
    SessionsReconciler,
    SessionEvents,
    SessionActivity,
    ContainerMonitor,
    LifecycleScheduler,
    SessionUsageService,
    { provide: APP_INTERCEPTOR, useClass: SandboxUseInterceptor },
    WarmPool,
  ],
  exports: [SessionsService, SessionStateMachine, SessionEvents, SessionActivity, SessionUsageService],
})
export class SessionsModule {}
