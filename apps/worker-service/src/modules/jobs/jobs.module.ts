import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module';
import { JobRepository } from './job.repository';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [TasksModule],
  controllers: [JobsController],
  providers: [JobsService, JobRepository],
  exports: [JobsService],
})
export class JobsModule {}
