import { Module } from '@nestjs/common';
import { HandlerRegistry } from './handler.registry';
import { HttpProbeRepository } from './http-probe.repository';
import { NoopHandler } from './noop.handler';
import { PreviewsCheckHandler } from './previews-check.handler';
import { RunExecuteHandler } from './run-execute.handler';
import { RunsModule } from '../runs/runs.module';
import { SandboxCheckpointHandler } from './sandbox-checkpoint.handler';
import { SandboxExecHandler } from './sandbox-exec.handler';
import { SessionsStopIdleHandler } from './sessions-stop-idle.handler';
import { TASK_HANDLERS, TaskHandler } from './task-handler';

const HANDLERS = [SandboxExecHandler, SandboxCheckpointHandler, SessionsStopIdleHandler, PreviewsCheckHandler, NoopHandler, RunExecuteHandler];

/** Every task type. Adding one: write a TaskHandler and list it here. */
@Module({
  imports: [RunsModule],
  providers: [
    HttpProbeRepository,
    ...HANDLERS,
    { provide: TASK_HANDLERS, inject: HANDLERS, useFactory: (...handlers: TaskHandler[]) => handlers },
    HandlerRegistry,
  ],
  exports: [HandlerRegistry],
})
export class HandlersModule {}
