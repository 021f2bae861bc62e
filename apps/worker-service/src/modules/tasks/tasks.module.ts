import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { HandlersModule } from '../handlers/handlers.module';
import { TaskQueueRepository, TASK_QUEUE } from './task-queue.repository';
import { TaskRepository } from './task.repository';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({
  imports: [BullModule.registerQueue({ name: TASK_QUEUE }), HandlersModule],
  controllers: [TasksController],
  providers: [TasksService, TaskRepository, TaskQueueRepository],
  exports: [TasksService, TaskRepository, TaskQueueRepository],
})
export class TasksModule {}
