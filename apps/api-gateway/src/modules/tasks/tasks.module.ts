import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TasksResolver } from './tasks.resolver';
import { TasksService } from './tasks.service';

/** Gateway side of tasks and jobs: GraphQL over the worker-service's REST API. */
@Module({
  imports: [AuthModule, SessionsModule],
  providers: [TasksResolver, TasksService],
})
export class TasksModule {}
