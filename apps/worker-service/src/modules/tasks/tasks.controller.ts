import { Body, Controller, Get, HttpCode, Logger, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { CreateTaskRequest, Task, TaskPage } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { CreateTaskDto } from './dto/create-task.dto';
import { CreateTaskPipe } from './dto/create-task.pipe';
import { ListTasksDto } from './dto/list-tasks.dto';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiSecurity('internal-key')
@ApiForbiddenResponse({ description: 'missing or wrong X-Internal-Service-Key' })
@UseGuards(InternalServiceKeyGuard)
@Controller('api/tasks')
export class TasksController {
  private readonly logger = new Logger(TasksController.name);

  constructor(private readonly tasks: TasksService) {}

  @Post()
  @ApiBody({ type: CreateTaskDto })
  @ApiOkResponse({ description: 'the task, `pending`' })
  @ApiBadRequestResponse({ description: 'unknown type (the message lists the known ones), bad priority, invalid or oversized payload' })
  create(@Body(CreateTaskPipe) body: CreateTaskRequest): Promise<Task> {
    return this.tasks.create(body);
  }

  @Get()
  @ApiOkResponse({ description: '`{ tasks, total }`, newest first' })
  list(@Query() query: ListTasksDto): Promise<TaskPage> {
    return this.tasks.list(query);
  }

  @Get(':id')
  @ApiNotFoundResponse({ description: '`Task not found`' })
  get(@Param('id') id: string): Promise<Task> {
    return this.tasks.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiNotFoundResponse({ description: '`Task not found`' })
  @ApiConflictResponse({ description: 'the task has already completed or failed' })
  cancel(@Param('id') id: string): Promise<Task> {
    return this.tasks.cancel(id);
  }

  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'SSE: past events, then live ones; ends after COMPLETE or ERROR' })
  @ApiNotFoundResponse({ description: '`Task not found`' })
  async events(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const stream = this.tasks.events(id, abort.signal);
    // The first step checks that the task exists, so a 404 is still a normal JSON error.
    let next = await stream.next();
    res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    try {
      while (!next.done) {
        res.write(`id: ${next.value.id}\nevent: ${next.value.event.type}\ndata: ${JSON.stringify(next.value.event)}\n\n`);
        next = await stream.next();
      }
    } catch (error) {
      this.logger.warn(`event stream of task ${id} ended: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearInterval(heartbeat);
      res.end();
    }
  }
}
