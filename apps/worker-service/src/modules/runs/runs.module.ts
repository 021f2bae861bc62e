import { Module } from '@nestjs/common';
import { AGENT_STEP_RUNNER, UnconfiguredAgentStep } from './agent-step.port';
import { RunExecutor } from './run-executor';
import { RunSteps } from './run-steps';

/**
 * Execution of runs (docs/runs.md): the `run.execute` task handler calls RunExecutor. The agent step
 * goes through AGENT_STEP_RUNNER; until the agent module provides it, agent steps fail with the
 * "no language model configured" message.
 */
@Module({
  providers: [RunSteps, RunExecutor, { provide: AGENT_STEP_RUNNER, useClass: UnconfiguredAgentStep }],
  exports: [RunExecutor],
})
export class RunsModule {}
