import type { AgentStepInput, AgentStepResult } from '@sandbox/contracts';

/**
 * The seam between a run's `agent` steps and the agent (docs/runs.md, Agent step): the run executor
 * hands the step its instructions, its saved transcript and the pending answer, and keeps what it
 * saves; the agent module's AgentStepRunner provides it (a test can provide another).
 */
export const AGENT_STEP_RUNNER = Symbol('AGENT_STEP_RUNNER');

export interface AgentStepRunnerPort {
  run(input: AgentStepInput): Promise<AgentStepResult>;
}
