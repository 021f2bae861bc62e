import { Injectable } from '@nestjs/common';
import { IsUUID } from 'class-validator';
import { TaskType } from '@sandbox/contracts';
import { RunExecution, RunExecutor } from '../runs/run-executor';
import { TaskContext, ValidatedTaskHandler } from './task-handler';

export class RunExecutePayload {
  @IsUUID(undefined, { message: 'runId must be a UUID' })
  runId!: string;
}

/**
 * Executes or resumes a run (docs/runs.md). Created by the gateway only. A redelivery after a lost
 * worker claims the run again under a new attempt and resumes from the last finished step; the
 * run's own outcome (failed, waiting for input) is reported to the gateway, so the task completes.
 */
@Injectable()
export class RunExecuteHandler extends ValidatedTaskHandler<RunExecutePayload> {
  constructor(private readonly executor: RunExecutor) {
    super(TaskType.RunExecute, RunExecutePayload);
  }

  run(payload: RunExecutePayload, context: TaskContext): Promise<RunExecution> {
    return this.executor.execute(payload.runId, context.taskId, context.signal);
  }
}
