import { Injectable } from '@nestjs/common';
import { RunMessages } from '@sandbox/contracts';

/**
 * The seam between a run's `agent` steps and the agent itself (docs/runs.md, Agent step): the run
 * executor hands the step its instructions, its saved transcript and the pending answer, and keeps
 * what it saves; the agent module (`modules/agent`) provides the implementation under this token.
 */
export const AGENT_STEP_RUNNER = Symbol('AGENT_STEP_RUNNER');

export interface AgentStepCall {
  runId: string;
  sessionId: string;
  instructions: string;
  maxTurns?: number;
  tools?: string[];
  mcpServers?: { name: string; url: string }[];
  transcript: unknown[] | null;
  answer?: string;
  signal: AbortSignal;
  emit(event: { type: 'LOG' | 'STEP' | 'PROGRESS'; message: string; data?: unknown }): Promise<void>;
  saveTranscript(transcript: unknown[]): Promise<void>;
}

export interface AgentStepOutcome {
  status: 'succeeded' | 'awaiting_input' | 'failed';
  question?: string;
  summary?: string;
  error?: string;
  usage?: unknown;
  turns?: number;
}

export interface AgentStepRunnerPort {
  run(call: AgentStepCall): Promise<AgentStepOutcome>;
}

/** What runs when no agent is wired in: the step fails the way an unconfigured model does. */
@Injectable()
export class UnconfiguredAgentStep implements AgentStepRunnerPort {
  run(): Promise<AgentStepOutcome> {
    return Promise.resolve({ status: 'failed', error: RunMessages.noModel });
  }
}
