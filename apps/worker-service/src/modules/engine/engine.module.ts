import { Module } from '@nestjs/common';
import { HandlersModule } from '../handlers/handlers.module';
import { JobsModule } from '../jobs/jobs.module';
import { TasksModule } from '../tasks/tasks.module';
import { TaskProcessor } from './task.processor';

/** The processing side: runs queued tasks and ticks in this process (WORKER_CONCURRENCY > 0). */
@Module({
  imports: [TasksModule, JobsModule, HandlersModule],
  providers: [TaskProcessor],
})
export class EngineModule {}
