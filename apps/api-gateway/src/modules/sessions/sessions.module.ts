import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { TemplatesModule } from '../templates/templates.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { InternalSessionsController } from './internal-sessions.controller';
import { PendingSessionsSweeper } from './pending-sessions.sweeper';
import { SessionEventsService } from './session-events.service';
import { SessionLifecycleService } from './session-lifecycle.service';
import { CheckpointRefsRepository } from './checkpoint-refs.repository';
import { SessionWorkspaceResolver } from './session-workspace.resolver';
import { SessionWorkspaceService } from './session-workspace.service';
import { SessionsRepository } from './sessions.repository';
import { SessionsResolver } from './sessions.resolver';
import { SessionsService } from './sessions.service';

@Module({
  imports: [AuthModule, TemplatesModule, WebhooksModule],
  controllers: [InternalSessionsController],
  providers: [SessionsRepository, SessionEventsService, SessionLifecycleService, SessionsService, SessionsResolver, PendingSessionsSweeper, CheckpointRefsRepository, SessionWorkspaceService, SessionWorkspaceResolver],
  exports: [SessionEventsService, SessionsService, SessionWorkspaceService],
})
export class SessionsModule {}
