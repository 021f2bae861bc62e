import { Module } from '@nestjs/common';
import { AgentModule } from '../agent/agent.module';
import { AgentStepRunner } from '../agent/agent-step.runner';
import { AGENT_STEP_RUNNER } from './agent-step.port';
import { RunExecutor } from './run-executor';
import { RunSteps } from './run-steps';

/** Execution of runs (docs/runs.md): the `run.execute` task handler calls RunExecutor; agent steps go to the agent module. */
@Module({
  imports: [AgentModule],
  providers: [RunSteps, RunExecutor, { provide: AGENT_STEP_RUNNER, useExisting: AgentStepRunner }],
  exports: [RunExecutor],
})
export class RunsModule {}
