import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { InternalRunsController } from './internal-runs.controller';
import { PipelinesService } from './pipelines.service';
import { RunEventBellRepository } from './run-event-bell.repository';
import { RunEventStream } from './run-event-stream';
import { RunEventsController } from './run-events.controller';
import { RunsRepository } from './runs.repository';
import { RunsResolver } from './runs.resolver';
import { RunsService } from './runs.service';
import { RunsSweeper } from './runs.sweeper';

/** Runs (docs/runs.md): GraphQL, SSE, the worker's internal routes, the event stream and the sweeper. */
@Module({
  imports: [AuthModule, SessionsModule, WebhooksModule],
  controllers: [RunEventsController, InternalRunsController],
  providers: [RunsRepository, RunEventBellRepository, RunEventStream, PipelinesService, RunsService, RunsResolver, RunsSweeper],
  exports: [RunsService, RunEventStream],
})
export class RunsModule {}
