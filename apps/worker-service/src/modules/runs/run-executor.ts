import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerManagerClient, GatewayClient, ServiceConflictError, ServiceNotFoundError } from '@sandbox/clients';
import { PipelineStep, RunClaim, RunEventType, RunState, RunStatus, SandboxStatus } from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { GatewayUnreachableError, RunReporter, RunSupersededError } from './run-reporter';
import { RunSteps, StepFailure } from './run-steps';

export type RunExecution = { outcome: 'succeeded' | 'failed' | 'awaiting_input' | 'superseded'; runId: string; attempt: number | null };

const MISSING_SANDBOX_GRACE_MS = 30_000;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 4_000);
const stepName = (step: PipelineStep, index: number): string => step.name ?? `${step.kind}-${index + 1}`;

/**
 * Executes one attempt of a run (docs/runs.md, Execution): claims it from the gateway (the next
 * attempt number fences every later report), waits for the session's sandbox, records the base
 * checkpoint, runs the steps from the saved cursor, saving state after each, and finishes it:
 * SUCCEEDED or FAILED with the result checkpoint, or AWAITING_INPUT (the task then ends; the answer
 * starts a new task). A worker lost mid-step leaves the cursor at that step: the retried task
 * resumes there. Gateway outages fail the attempt (the task engine retries it); a run cancelled or
 * taken over meanwhile stops quietly.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);

  constructor(
    private readonly gateway: GatewayClient,
    private readonly manager: ContainerManagerClient,
    private readonly steps: RunSteps,
    private readonly config: WorkerConfig,
  ) {}

  async execute(runId: string, taskId: string, signal: AbortSignal): Promise<RunExecution> {
    let claim: RunClaim;
    try {
      claim = await this.gateway.claimRun(runId, { taskId });
    } catch (error) {
      if (error instanceof ServiceConflictError || error instanceof ServiceNotFoundError) {
        this.logger.log({ runId }, `run not claimed: ${error.message}`);
        return { outcome: 'superseded', runId, attempt: null };
      }
      throw error;
    }
    const reporter = new RunReporter(this.gateway, runId, claim.attempt, claim.token ? [claim.token] : []);
    const state: RunState = { ...claim.state, outputs: { ...claim.state.outputs } };
    try {
      return await this.runSteps(claim, state, reporter, signal);
    } catch (error) {
      if (error instanceof RunSupersededError || signal.aborted) {
        this.logger.log({ runId, attempt: claim.attempt }, `run attempt stopped: ${signal.aborted ? 'task cancelled' : messageOf(error)}`);
        return { outcome: 'superseded', runId, attempt: claim.attempt };
      }
      if (error instanceof GatewayUnreachableError) throw error;
      return this.fail(claim, state, reporter, error);
    } finally {
      reporter.close();
    }
  }

  private async runSteps(claim: RunClaim, state: RunState, reporter: RunReporter, signal: AbortSignal): Promise<RunExecution> {
    const { runId, sessionId, steps } = claim;
    if (claim.attempt > 1) reporter.log(`attempt ${claim.attempt}: resuming at step ${state.stepIndex + 1} of ${steps.length}`);
    await this.waitForSandbox(claim, reporter, signal);
    if (!claim.baseCheckpoint) {
      const base = await this.steps.checkpoint(sessionId);
      const checkpoint = base ?? (await this.steps.checkpoint(sessionId, `Before run ${claim.pipeline} ${runId.slice(0, 8)}`));
      if (checkpoint) await reporter.saveState({ baseCheckpoint: checkpoint.commitHash });
    }
    for (let index = state.stepIndex; index < steps.length; index++) {
      const step = steps[index];
      const name = stepName(step, index);
      reporter.emit(RunEventType.Step, `Step ${index + 1}/${steps.length}: ${name}`, { index, kind: step.kind, name });
      let outcome;
      try {
        outcome = await this.steps.run(step, { claim, state, reporter, signal, name });
      } catch (error) {
        if (!(error instanceof StepFailure) || !('continueOnError' in step && step.continueOnError === true)) throw error;
        reporter.log(`${error.message}; continuing (continueOnError)`);
        outcome = { kind: 'done' as const, output: error.output };
      }
      if (outcome.kind === 'awaiting') {
        state.stepIndex = index;
        await reporter.finish({ status: RunStatus.AwaitingInput, question: outcome.question, state });
        return { outcome: 'awaiting_input', runId, attempt: claim.attempt };
      }
      state.outputs[name] = outcome.output;
      state.stepIndex = index + 1;
      state.answer = null;
      // The finished conversation stays with the run: a continuation of the session carries it on.
      if (step.kind === 'agent' && state.transcript) state.conversation = state.transcript;
      state.transcript = null;
      await reporter.saveState({ state });
    }
    const resultCheckpoint = await this.steps.checkpoint(sessionId);
    await reporter.finish({ status: RunStatus.Succeeded, result: this.resultOf(claim, state), state, resultCheckpoint: resultCheckpoint?.commitHash });
    return { outcome: 'succeeded', runId, attempt: claim.attempt };
  }

  /** FAILED with the step's message; the tree as the run left it is still its result checkpoint. */
  private async fail(claim: RunClaim, state: RunState, reporter: RunReporter, error: unknown): Promise<RunExecution> {
    const message = messageOf(error);
    if (!(error instanceof StepFailure)) this.logger.warn({ runId: claim.runId, err: error }, `run failed: ${message}`);
    const resultCheckpoint = await this.steps.checkpoint(claim.sessionId).catch(() => null);
    const output = error instanceof StepFailure ? error.output : null;
    await reporter.finish({ status: RunStatus.Failed, error: message, result: output ?? undefined, state, resultCheckpoint: resultCheckpoint?.commitHash });
    return { outcome: 'failed', runId: claim.runId, attempt: claim.attempt };
  }

  /** bootstrap: { repoName, ref, commit, detected }; test: its outcome; other pipelines: every step's output. */
  private resultOf(claim: RunClaim, state: RunState): unknown {
    if (claim.pipeline === 'bootstrap') {
      const clone = (state.outputs.clone ?? {}) as { repoName?: string; ref?: string; commit?: string };
      const install = (state.outputs.install ?? {}) as { detected?: string[]; installs?: unknown[] };
      return { repoName: clone.repoName ?? claim.repoName, ref: clone.ref ?? null, commit: clone.commit ?? null, detected: install.detected ?? [], installs: install.installs ?? [] };
    }
    if (claim.pipeline === 'test') return state.outputs.test ?? null;
    return { steps: state.outputs };
  }

  /** The sandbox of a session created with the run may still be starting; a stopped or failed one fails the run. */
  private async waitForSandbox(claim: RunClaim, reporter: RunReporter, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const deadline = started + this.config.runSessionWaitMs;
    let told = false;
    for (;;) {
      let status: SandboxStatus | null = null;
      let reason: string | null = null;
      try {
        const sandbox = await this.manager.getSession(claim.sessionId);
        status = sandbox.status;
        reason = sandbox.errorReason;
      } catch (error) {
        if (!(error instanceof ServiceNotFoundError)) throw error;
      }
      if (status === SandboxStatus.Running || (status as string | null) === 'paused') return;
      // The gateway asks the manager for the sandbox right after the run is created: unknown for long means never.
      if (status === null && Date.now() - started > MISSING_SANDBOX_GRACE_MS) throw new StepFailure(`The session's sandbox does not exist`);
      if (status !== null && status !== SandboxStatus.Creating) {
        throw new StepFailure(`The session's sandbox is ${status}${reason ? ` (${reason})` : ''}; start the session and run again`);
      }
      if (Date.now() > deadline) throw new StepFailure(`The session's sandbox was not running after ${this.config.runSessionWaitMs} ms`);
      if (!told) reporter.log('waiting for the sandbox to start');
      told = true;
      await sleep(500, undefined, { signal });
    }
  }
}
