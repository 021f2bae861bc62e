import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerManagerClient, GatewayClient, WorkerClient } from '@sandbox/clients';
import {
  AgentStep,
  ChatMessage,
  CheckpointStep,
  ExecResult,
  ExecStep,
  GitCheckpoint,
  InputStep,
  PipelineStep,
  RunClaim,
  RunEventType,
  RunState,
  TaskStatus,
  TaskStep,
} from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { AGENT_STEP_RUNNER } from './agent-step.port';
import type { AgentStepRunnerPort } from './agent-step.port';
import { CLONE_SCRIPT, DETECT_SCRIPT } from './bootstrap-scripts';
import { DetectedProject, detectProject } from './project-detection';
import { RunReporter } from './run-reporter';

/** A step that ran and failed: the run fails with this message (unless the step continues on error). */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly output: unknown = null,
  ) {
    super(message);
    this.name = StepFailure.name;
  }
}

export type StepOutcome = { kind: 'done'; output: unknown } | { kind: 'awaiting'; question: string };

export interface StepContext {
  claim: RunClaim;
  state: RunState;
  reporter: RunReporter;
  signal: AbortSignal;
  /** The step's key in state.outputs. */
  name: string;
}

const OUTPUT_EVENT_LIMIT = 1_048_576;
const TAIL = 4_000;
const TERMINAL_TASK: readonly TaskStatus[] = [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled];

const tail = (text: string): string => (text.length > TAIL ? text.slice(-TAIL) : text);

/** The text a run's input stands for: a string, or `{ prompt | instructions | text }`. */
export function inputText(input: unknown): string | null {
  if (typeof input === 'string') return input.trim() ? input : null;
  if (typeof input === 'object' && input !== null) {
    for (const key of ['prompt', 'instructions', 'text']) {
      const value = (input as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.trim()) return value;
    }
  }
  return null;
}

/**
 * One implementation per step kind (docs/runs.md, Pipelines). Sandbox work goes through the
 * container-manager (exec as the sandbox user, checkpoints), tasks through the worker's own REST
 * API, the agent through its port. Each step either finishes with an output, asks for input, or
 * throws a StepFailure.
 */
@Injectable()
export class RunSteps {
  constructor(
    private readonly manager: ContainerManagerClient,
    private readonly gateway: GatewayClient,
    private readonly worker: WorkerClient,
    private readonly config: WorkerConfig,
    @Inject(AGENT_STEP_RUNNER) private readonly agent: AgentStepRunnerPort,
  ) {}

  run(step: PipelineStep, context: StepContext): Promise<StepOutcome> {
    switch (step.kind) {
      case 'exec':
        return this.exec(step, context);
      case 'checkpoint':
        return this.checkpointStep(step, context);
      case 'input':
        return Promise.resolve(this.input(step, context));
      case 'task':
        return this.task(step, context);
      case 'agent':
        return this.agentStep(step, context);
      case 'clone':
        return this.clone(context);
      case 'install':
        return this.install(context);
      case 'test':
        return this.test(context);
    }
  }

  /**
   * A checkpoint of the workspace as it is: a new one when something changed (labelled with
   * `description` when given), else the latest; recorded on the gateway at once. Null only for a
   * session without any checkpoint and nothing to commit.
   */
  async checkpoint(sessionId: string, description?: string): Promise<GitCheckpoint | null> {
    const committed = await this.manager.commit(sessionId, description ? { description } : {});
    let checkpoint: GitCheckpoint | null = 'commitHash' in committed ? committed : null;
    if (!checkpoint) checkpoint = (await this.manager.checkpoints(sessionId, 1, 0)).checkpoints[0] ?? null;
    if (checkpoint) {
      await this.gateway.recordCheckpoint({
        sessionId,
        commitHash: checkpoint.commitHash,
        filesChanged: checkpoint.filesChanged,
        messageNumber: checkpoint.messageNumber,
        description: checkpoint.description,
      });
    }
    return checkpoint;
  }

  /** Runs a command with its output streamed as LOG events (bounded); the exit decides the step. */
  async runCommand(context: StepContext, command: string | string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs: number; quiet?: boolean }): Promise<ExecResult> {
    let sent = 0;
    let cut = false;
    const result = await this.manager.execStream(
      context.claim.sessionId,
      { command, cwd: options.cwd, env: options.env, timeoutMs: options.timeoutMs },
      {
        signal: context.signal,
        onOutput: (stream, text) => {
          if (options.quiet) return;
          if (sent >= OUTPUT_EVENT_LIMIT) {
            if (!cut) context.reporter.log(`output beyond ${OUTPUT_EVENT_LIMIT} bytes not shown`);
            cut = true;
            return;
          }
          sent += text.length;
          context.reporter.emit(RunEventType.Log, text, { stream });
        },
      },
    );
    return result;
  }

  private async exec(step: ExecStep, context: StepContext): Promise<StepOutcome> {
    const result = await this.runCommand(context, step.command, { cwd: step.cwd, env: step.env, timeoutMs: step.timeoutMs ?? this.config.runStepTimeoutMs });
    const output = { exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs, stdout: tail(result.stdout), stderr: tail(result.stderr) };
    context.reporter.log(`exit code ${result.exitCode ?? 'none'}${result.timedOut ? ' (timed out)' : ''}`, { exitCode: result.exitCode, durationMs: result.durationMs });
    if (result.timedOut) throw new StepFailure(`Step ${context.name} timed out`, output);
    if (result.exitCode !== 0) throw new StepFailure(`Step ${context.name} exited with code ${result.exitCode}`, output);
    return { kind: 'done', output };
  }

  private async checkpointStep(step: CheckpointStep, context: StepContext): Promise<StepOutcome> {
    const repoName = context.claim.repoName ?? 'repository';
    const description = (step.description ?? `Checkpoint (${context.claim.pipeline} run)`).replaceAll('{repoName}', repoName);
    // With a description, the manager labels the current tree even when auto-commit already took it.
    const checkpoint = await this.checkpoint(context.claim.sessionId, description);
    if (!checkpoint) throw new StepFailure(`Step ${context.name}: nothing to checkpoint`);
    context.reporter.log(`checkpoint ${checkpoint.commitHash.slice(0, 12)} ${checkpoint.description ?? ''}`.trim(), { commitHash: checkpoint.commitHash });
    return { kind: 'done', output: { commitHash: checkpoint.commitHash, description: checkpoint.description } };
  }

  private input(step: InputStep, context: StepContext): StepOutcome {
    const answer = context.state.answer;
    if (typeof answer === 'string') return { kind: 'done', output: { answer } };
    return { kind: 'awaiting', question: step.prompt };
  }

  /** Starts the task once (its id is saved, so a resumed attempt follows the same task) and waits for it. */
  private async task(step: TaskStep, context: StepContext): Promise<StepOutcome> {
    const key = `${context.name}:taskId`;
    let taskId = typeof context.state.outputs[key] === 'string' ? (context.state.outputs[key]) : null;
    if (!taskId) {
      const task = await this.worker.createTask({
        type: step.type,
        payload: { ...(step.payload ?? {}), sessionId: context.claim.sessionId },
        priority: 5,
        ownerId: context.claim.ownerId,
      });
      taskId = task.id;
      context.state.outputs[key] = taskId;
      await context.reporter.saveState({ state: context.state });
      context.reporter.log(`task ${taskId} (${step.type}) created`, { taskId });
    }
    const deadline = Date.now() + (step.timeoutMs ?? this.config.runStepTimeoutMs);
    const id = taskId;
    const cancelTask = () => void this.worker.cancelTask(id).catch(() => undefined);
    context.signal.addEventListener('abort', cancelTask, { once: true });
    try {
      for (;;) {
        const task = await this.worker.getTask(id);
        if (TERMINAL_TASK.includes(task.status)) {
          const output = { taskId: id, status: task.status, result: task.result ?? null, error: task.error };
          if (task.status !== TaskStatus.Completed) throw new StepFailure(`Step ${context.name}: task ${id} ${task.status}${task.error ? `: ${task.error}` : ''}`, output);
          return { kind: 'done', output };
        }
        if (Date.now() > deadline) {
          cancelTask();
          throw new StepFailure(`Step ${context.name}: task ${id} did not finish in time`);
        }
        await sleep(500, undefined, { signal: context.signal });
      }
    } finally {
      context.signal.removeEventListener('abort', cancelTask);
    }
  }

  private async agentStep(step: AgentStep, context: StepContext): Promise<StepOutcome> {
    const instructions = step.instructions ?? inputText(context.claim.input);
    if (!instructions) throw new StepFailure(`Step ${context.name}: no instructions (the run's input is empty)`);
    const outcome = await this.agent.run({
      runId: context.claim.runId,
      sessionId: context.claim.sessionId,
      instructions,
      maxTurns: step.maxTurns,
      tools: step.tools,
      mcpServers: step.mcpServers,
      transcript: (context.state.transcript as ChatMessage[] | null | undefined) ?? null,
      answer: context.state.answer ?? undefined,
      signal: context.signal,
      emit: (event) => {
        context.reporter.emit(event.type as RunEventType.Log | RunEventType.Progress | RunEventType.Step, event.message, event.data);
        return Promise.resolve();
      },
      saveTranscript: async (transcript) => {
        context.state.transcript = transcript;
        // The answer is in the transcript now: a retried attempt must not add it a second time.
        context.state.answer = null;
        await context.reporter.saveState({ state: context.state });
      },
    });
    switch (outcome.status) {
      case 'succeeded':
        return { kind: 'done', output: { summary: outcome.summary ?? null, usage: outcome.usage, turns: outcome.turns } };
      case 'awaiting_input':
        return { kind: 'awaiting', question: outcome.question ?? 'The agent needs input' };
      case 'failed':
        throw new StepFailure(outcome.error ?? `Step ${context.name} failed`, { reason: outcome.reason ?? null, usage: outcome.usage, turns: outcome.turns });
    }
  }

  /** Clones the run's repository into the empty workspace, inside the sandbox as its user. */
  private async clone(context: StepContext): Promise<StepOutcome> {
    const input = (context.claim.input ?? {}) as { repoUrl?: string; ref?: string | null };
    const repoUrl = input.repoUrl ?? context.claim.repoUrl;
    if (!repoUrl) throw new StepFailure('No repository to clone');
    const ref = input.ref ?? '';
    const env: Record<string, string> = context.claim.token ? { GIT_PASSWORD: context.claim.token } : {};
    context.reporter.log(`cloning ${repoUrl}${ref ? ` at ${ref}` : ''}`);
    const result = await this.runCommand(context, ['sh', '-c', CLONE_SCRIPT, 'clone', repoUrl, ref, `.clone-${context.claim.runId.slice(0, 8)}`], {
      env,
      timeoutMs: this.config.runCloneTimeoutMs,
      quiet: true,
    });
    if (context.claim.token) await context.reporter.saveState({ dropToken: true });
    const stderr = context.reporter.redact(result.stderr.trim());
    if (stderr) context.reporter.log(tail(stderr), { stream: 'stderr' });
    if (result.timedOut) throw new StepFailure('The clone timed out');
    if (result.exitCode !== 0) throw new StepFailure(`The clone failed (exit code ${result.exitCode}): ${tail(stderr).split('\n').slice(-3).join(' ')}`.trim());
    const last = result.stdout.trim().split('\n').pop() ?? '{}';
    const { commit, ref: branch } = JSON.parse(last) as { commit: string; ref: string };
    context.reporter.log(`cloned ${context.claim.repoName ?? repoUrl} at ${commit.slice(0, 12)} (${branch})`, { commit, ref: branch });
    return { kind: 'done', output: { repoName: context.claim.repoName, ref: branch, commit } };
  }

  /** Detects the project and installs its dependencies where it can (a failed install is reported, not fatal). */
  private async install(context: StepContext): Promise<StepOutcome> {
    const detected = await this.detect(context);
    context.reporter.log(detected.kinds.length ? `detected ${detected.kinds.join(', ')}` : 'no known project files', { detected: detected.kinds, files: detected.files });
    const installs: { kind: string; command: string; exitCode: number | null; timedOut: boolean }[] = [];
    for (const install of detected.installs) {
      context.reporter.log(`$ ${install.command}`);
      const result = await this.runCommand(context, install.command, { timeoutMs: this.config.runInstallTimeoutMs });
      installs.push({ ...install, exitCode: result.exitCode, timedOut: result.timedOut });
      if (result.exitCode !== 0) context.reporter.log(`install ${install.kind} did not succeed (${result.timedOut ? 'timed out' : `exit code ${result.exitCode}`}); continuing`);
    }
    return { kind: 'done', output: { detected: detected.kinds, files: detected.files, installs, testCommand: detected.testCommand } };
  }

  /** The project's test command (input `{ command }` or detected); its outcome is the result, not the run's status. */
  private async test(context: StepContext): Promise<StepOutcome> {
    const given = (context.claim.input as { command?: unknown } | null)?.command;
    const command = typeof given === 'string' && given.trim() ? given : (await this.detect(context)).testCommand;
    if (!command) throw new StepFailure('No test command detected; pass input { command }');
    context.reporter.log(`$ ${command}`);
    const result = await this.runCommand(context, command, { timeoutMs: this.config.runStepTimeoutMs });
    const passed = result.exitCode === 0 && !result.timedOut;
    context.reporter.log(passed ? 'tests passed' : `tests failed (${result.timedOut ? 'timed out' : `exit code ${result.exitCode}`})`);
    return { kind: 'done', output: { passed, exitCode: result.exitCode, command, timedOut: result.timedOut } };
  }

  private async detect(context: StepContext): Promise<DetectedProject> {
    const listing = await this.manager.exec(context.claim.sessionId, { command: ['sh', '-c', DETECT_SCRIPT], timeoutMs: 30_000 }, { signal: context.signal });
    const lines = listing.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    const packageJson = lines.includes('package.json') ? (await this.manager.readFile(context.claim.sessionId, 'package.json')).toString('utf8') : null;
    return detectProject(lines, packageJson);
  }
}
