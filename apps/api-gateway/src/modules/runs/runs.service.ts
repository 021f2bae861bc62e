import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { WorkerClient } from '@sandbox/clients';
import {
  ACTIVE_RUN_STATUSES,
  boundConversation,
  checkRepositoryUrl,
  CONTINUATION_PIPELINE,
  CONTINUATION_TRANSCRIPT_MAX_BYTES,
  DEFAULT_INIT_PIPELINE,
  isTerminalRunStatus,
  isValidRef,
  RunClaim,
  RunEvent,
  RunEventBatch,
  RunEventBatchResult,
  RunEventType,
  RunFinishRequest,
  RunFinishResult,
  RunMessages,
  RunState,
  RunStatus,
  RunStateUpdate,
  TaskType,
} from '@sandbox/contracts';
import { DomainException, SecretSealer } from '@sandbox/shared';
import type { Transaction } from '../../database/transaction';
import type { AuthenticatedUser } from '../auth/auth.types';
import { SessionsService } from '../sessions/sessions.service';
import type { CheckpointRecord, SessionRecord } from '../sessions/sessions.repository';
import { PlatformEventsService } from '../webhooks/platform-events.service';
import { PipelinesService } from './pipelines.service';
import { RunEventStream } from './run-event-stream';
import { RunRecord, RunsRepository } from './runs.repository';
import { GatewayConfig } from '../../config/gateway-config';

export interface InitRunRequest {
  repoUrl: string;
  ref?: string;
  template?: string;
  pipeline?: string;
  token?: string;
}

const MAX_INPUT_BYTES = 65_536;
const NORMAL_PRIORITY = 5;

export const runNotFound = (id: string): DomainException => DomainException.notFound(RunMessages.notFound(id));

/**
 * Runs (docs/runs.md): the owner-facing operations behind GraphQL and SSE, and the worker's internal
 * reports. The gateway is the only writer of runs and their events; the worker executes a run through
 * a `run.execute` task and reports under a fencing `attempt`, so a stale worker cannot write.
 */
@Injectable()
export class RunsService {
  private readonly logger = new Logger(RunsService.name);
  /** A private repository's token, kept only until the clone used it (docs/runs.md, The token). */
  private readonly tokens: SecretSealer;

  constructor(
    private readonly runs: RunsRepository,
    private readonly sessions: SessionsService,
    private readonly pipelines: PipelinesService,
    private readonly worker: WorkerClient,
    private readonly stream: RunEventStream,
    private readonly config: GatewayConfig,
    private readonly platformEvents: PlatformEventsService,
  ) {
    this.tokens = new SecretSealer(config.internalServiceKey, 'repository-tokens');
  }

  /** A session from a repository and its first run (bootstrap unless another pipeline is named). */
  async initRun(user: AuthenticatedUser, request: InitRunRequest): Promise<{ session: SessionRecord; run: RunRecord }> {
    const repoName = this.checkRepository(request.repoUrl, request.ref);
    const pipeline = request.pipeline ?? DEFAULT_INIT_PIPELINE;
    const steps = await this.pipelines.resolve(user, pipeline);
    const session = await this.sessions.create(user, { template: request.template }, { repoUrl: request.repoUrl, repoName });
    const run = await this.start(session, pipeline, steps, { repoUrl: request.repoUrl, ref: request.ref ?? null }, null, request.token);
    return { session, run };
  }

  async startRun(user: AuthenticatedUser, sessionId: string, pipeline: string, input: unknown): Promise<RunRecord> {
    const session = await this.sessions.get(user, sessionId);
    const steps = await this.pipelines.resolve(user, pipeline);
    return this.start(session, pipeline, steps, this.inputFor(session, pipeline, input), null);
  }

  /**
   * Answers the session's run that waits for input (it resumes), or continues the conversation with a
   * new `plan` run whose parent is the session's latest run.
   */
  async submitRunInput(user: AuthenticatedUser, sessionId: string, runId: string | undefined, input: string): Promise<RunRecord> {
    if (input.trim().length === 0) throw DomainException.badRequest(RunMessages.emptyInput);
    const session = await this.sessions.get(user, sessionId);
    const latest = await this.runs.latest(sessionId);
    if (runId !== undefined && latest?.id !== runId) throw DomainException.conflict(RunMessages.notActiveRun(runId, sessionId));
    if (latest?.status === RunStatus.AwaitingInput) {
      const answered = await this.runs.answer(latest.id, input, { type: RunEventType.Log, message: 'Input received; the run resumes', data: { inputLength: input.length } });
      if (!answered) throw DomainException.conflict(RunMessages.notActiveRun(latest.id, sessionId));
      return this.enqueue(answered);
    }
    if (latest && ACTIVE_RUN_STATUSES.includes(latest.status)) throw DomainException.conflict(RunMessages.activeRunExists(sessionId, latest.id));
    const steps = await this.pipelines.resolve(user, CONTINUATION_PIPELINE);
    return this.start(session, CONTINUATION_PIPELINE, steps, input, latest?.id ?? null, undefined, await this.continuationState(sessionId, input));
  }

  /**
   * A continuation's agent step goes on with the session's conversation (its earlier turns, bounded
   * to CONTINUATION_TRANSCRIPT_MAX_BYTES by dropping the oldest) and the new input as the user's next
   * message (given as the answer, which also answers a question the conversation was left on).
   * Undefined, i.e. a fresh conversation, when the session has none yet.
   */
  private async continuationState(sessionId: string, input: string): Promise<RunState | undefined> {
    const carried = boundConversation(await this.runs.latestConversation(sessionId), CONTINUATION_TRANSCRIPT_MAX_BYTES);
    if (!carried) return undefined;
    return { stepIndex: 0, outputs: {}, transcript: carried, answer: input };
  }

  /** CANCELLED with its terminal ERROR event at once; the worker's task is cancelled, which kills the command in flight. */
  async cancelRun(user: AuthenticatedUser, runId: string): Promise<RunRecord> {
    const run = await this.get(user, runId);
    if (isTerminalRunStatus(run.status)) return run;
    const cancelled = await this.runs.transition(runId, {
      from: [...ACTIVE_RUN_STATUSES],
      to: RunStatus.Cancelled,
      event: { type: RunEventType.Error, message: RunMessages.cancelled },
      error: RunMessages.cancelled,
      terminal: true,
    });
    if (!cancelled) return this.get(user, runId);
    if (cancelled.taskId) {
      await this.worker.cancelTask(cancelled.taskId).catch((error: unknown) => {
        // Already finished, or the worker is away: the task's next report is refused (409) anyway.
        this.logger.warn({ runId, taskId: cancelled.taskId, err: error }, 'could not cancel the task of a cancelled run');
      });
    }
    return cancelled;
  }

  /** Restores the tree to the run's base checkpoint ("undo what the agent just did"). */
  async revertRun(user: AuthenticatedUser, runId: string): Promise<CheckpointRecord> {
    const run = await this.get(user, runId);
    if (!run.baseCheckpoint) throw DomainException.conflict(`Run ${runId} has no base checkpoint to revert to`);
    const active = await this.runs.active(run.sessionId);
    if (active && active.status !== RunStatus.AwaitingInput) throw DomainException.conflict(RunMessages.activeRunExists(run.sessionId, active.id));
    return this.sessions.restore(user, run.sessionId, run.baseCheckpoint);
  }

  async get(user: AuthenticatedUser, runId: string): Promise<RunRecord> {
    const run = await this.runs.findOwned(user.id, runId);
    if (!run) throw runNotFound(runId);
    return run;
  }

  find(user: AuthenticatedUser, runId: string): Promise<RunRecord | null> {
    return this.runs.findOwned(user.id, runId);
  }

  async list(user: AuthenticatedUser, sessionId: string, limit: number, offset: number): Promise<{ runs: RunRecord[]; total: number }> {
    await this.sessions.get(user, sessionId);
    return this.runs.list(sessionId, limit, offset);
  }

  /** The run's events after `afterSeq`, then live ones, ending after COMPLETE or ERROR; 404 checked before anything is sent. */
  async events(user: AuthenticatedUser, runId: string, afterSeq: number, signal: AbortSignal): Promise<AsyncGenerator<RunEvent, void, undefined>> {
    await this.get(user, runId);
    return this.stream.follow(runId, afterSeq, signal);
  }

  /** The same as `events`, in the batches they were read in (for a transport that writes a batch at once). */
  async eventBatches(user: AuthenticatedUser, runId: string, afterSeq: number, signal: AbortSignal): Promise<AsyncGenerator<RunEvent[], void, undefined>> {
    await this.get(user, runId);
    return this.stream.followBatches(runId, afterSeq, signal);
  }

  checkpoint(sessionId: string, commitHash: string | null) {
    return commitHash ? this.runs.checkpoint(sessionId, commitHash) : Promise.resolve(null);
  }

  // ---- the worker's reports (internal routes) ----

  async claim(runId: string, taskId: string | undefined): Promise<RunClaim> {
    const run = await this.runs.claim(runId, taskId);
    if (!run) {
      const current = await this.runs.find(runId);
      if (!current) throw runNotFound(runId);
      throw DomainException.conflict(RunMessages.notRunning(runId, current.status));
    }
    const repository = await this.runs.repositoryOf(run.sessionId);
    return {
      runId: run.id,
      sessionId: run.sessionId,
      ownerId: run.ownerId,
      pipeline: run.pipeline,
      input: run.input,
      steps: run.steps,
      state: run.state,
      attempt: run.attempt,
      repoUrl: repository?.repoUrl ?? null,
      repoName: repository?.repoName ?? null,
      baseCheckpoint: run.baseCheckpoint,
      token: run.tokenSealed ? this.openToken(run) : null,
    };
  }

  async appendEvents(runId: string, batch: RunEventBatch): Promise<RunEventBatchResult> {
    const stored = await this.runs.appendEvents(runId, batch.attempt, batch.n, batch.events);
    if (!stored) throw await this.refusal(runId, batch.attempt);
    return stored;
  }

  async saveState(runId: string, update: RunStateUpdate): Promise<{ saved: true }> {
    if (!(await this.runs.saveState(runId, update.attempt, update))) throw await this.refusal(runId, update.attempt);
    return { saved: true };
  }

  /** SUCCEEDED/FAILED with exactly one COMPLETE/ERROR event, or AWAITING_INPUT with its INPUT_REQUIRED event. */
  async finish(runId: string, request: RunFinishRequest): Promise<RunFinishResult> {
    const common = { from: [RunStatus.Running], attempt: request.attempt };
    let finished: RunRecord | null;
    switch (request.status) {
      case RunStatus.Succeeded: {
        const event = { type: RunEventType.Complete, message: 'Run succeeded', data: request.result ?? null };
        const change = { ...common, to: RunStatus.Succeeded, event, result: request.result ?? null, error: null, state: request.state, resultCheckpoint: request.resultCheckpoint, terminal: true };
        finished = await this.runs.transition(runId, change, this.queueFinished);
        break;
      }
      case RunStatus.Failed: {
        const error = request.error?.trim() || 'Run failed';
        const event = { type: RunEventType.Error, message: error, data: request.result ?? null };
        const change = { ...common, to: RunStatus.Failed, event, result: request.result ?? null, error, state: request.state, resultCheckpoint: request.resultCheckpoint, terminal: true };
        finished = await this.runs.transition(runId, change, this.queueFinished);
        break;
      }
      case RunStatus.AwaitingInput:
        finished = await this.runs.transition(runId, {
          ...common,
          to: RunStatus.AwaitingInput,
          event: { type: RunEventType.InputRequired, message: request.question?.trim() || 'Input required', data: null },
          state: request.state,
          terminal: false,
        });
        break;
    }
    if (!finished) throw await this.refusal(runId, request.attempt);
    this.platformEvents.wake();
    return { runId, status: finished.status, lastSeq: finished.lastSeq };
  }

  /** Fails a run whose task ended without finishing it (a worker gave up, the task was pruned or cancelled directly). */
  async failOrphan(run: RunRecord, reason: string): Promise<boolean> {
    const failed = await this.runs.transition(
      run.id,
      {
        from: [RunStatus.Queued, RunStatus.Running],
        to: RunStatus.Failed,
        event: { type: RunEventType.Error, message: reason },
        error: reason,
        terminal: true,
      },
      this.queueFinished,
    );
    if (failed) this.platformEvents.wake();
    return failed !== null;
  }

  /**
   * run.completed / run.failed to the owner's webhooks (docs/webhooks.md), queued in the transaction
   * of the terminal status; a cancel is the caller's own act and is not sent.
   */
  private readonly queueFinished = (tx: Transaction, run: RunRecord): Promise<void> => {
    const type = run.status === RunStatus.Succeeded ? 'run.completed' : run.status === RunStatus.Failed ? 'run.failed' : null;
    if (!type) return Promise.resolve();
    const data = { runId: run.id, sessionId: run.sessionId, pipeline: run.pipeline, status: run.status, ...(run.error ? { error: run.error } : {}) };
    return this.platformEvents.queue(tx, { type, ownerId: run.ownerId, data });
  };

  /** Creates the run's `run.execute` task; a worker that cannot be reached leaves the run QUEUED for the sweeper. */
  async enqueue(run: RunRecord): Promise<RunRecord> {
    try {
      const task = await this.worker.createTask({
        type: TaskType.RunExecute,
        payload: { runId: run.id },
        priority: NORMAL_PRIORITY,
        maxAttempts: this.config.runs.taskMaxAttempts,
        ownerId: run.ownerId,
      });
      await this.runs.setTask(run.id, task.id);
      return { ...run, taskId: task.id };
    } catch (error) {
      this.logger.warn({ runId: run.id, err: error }, 'could not create the task of a run; it stays QUEUED and is retried by the sweeper');
      return run;
    }
  }

  private async start(
    session: SessionRecord,
    pipeline: string,
    steps: RunRecord['steps'],
    input: unknown,
    parentRunId: string | null,
    token?: string,
    state?: RunState,
  ): Promise<RunRecord> {
    if (input !== undefined && input !== null && Buffer.byteLength(JSON.stringify(input)) > MAX_INPUT_BYTES) {
      throw DomainException.badRequest(`input must be at most ${MAX_INPUT_BYTES} bytes as JSON`);
    }
    const run = await this.runs.insert({
      id: randomUUID(),
      sessionId: session.id,
      ownerId: session.ownerId,
      pipeline,
      parentRunId,
      input: input ?? null,
      steps,
      tokenSealed: token ? this.tokens.seal(token) : null,
      state,
    });
    if (!run) {
      const active = await this.runs.active(session.id);
      throw DomainException.conflict(RunMessages.activeRunExists(session.id, active?.id ?? 'unknown'));
    }
    this.logger.log({ runId: run.id, sessionId: session.id, pipeline }, 'run queued');
    return this.enqueue(run);
  }

  /** The input a built-in pipeline needs, checked before the run exists. */
  private inputFor(session: SessionRecord, pipeline: string, input: unknown): unknown {
    if (pipeline === 'bootstrap') {
      const given = typeof input === 'object' && input !== null ? (input as { repoUrl?: unknown; ref?: unknown }) : {};
      const repoUrl = given.repoUrl ?? session.repoUrl;
      if (typeof repoUrl !== 'string') throw DomainException.badRequest('The bootstrap pipeline needs a repository: pass input { repoUrl, ref } or start the session with initRun');
      const ref = given.ref ?? null;
      if (ref !== null && typeof ref !== 'string') throw DomainException.badRequest('input.ref must be a string');
      this.checkRepository(repoUrl, ref ?? undefined);
      return { repoUrl, ref };
    }
    if (pipeline === 'plan' && (input === undefined || input === null || (typeof input === 'string' && input.trim() === ''))) {
      throw DomainException.badRequest(RunMessages.emptyInput);
    }
    return input ?? null;
  }

  /** 400 for an unsupported URL or ref; the repository's name otherwise. */
  private checkRepository(repoUrl: string, ref: string | undefined | null): string {
    const check = checkRepositoryUrl(repoUrl);
    if (!check.ok) throw DomainException.badRequest(check.message);
    if (ref !== undefined && ref !== null && !isValidRef(ref)) throw DomainException.badRequest(`Unsupported ref: ${ref}`);
    return check.name;
  }

  /**
   * Null when no configured internal key opens it (the keys changed since, or it was sealed before
   * tokens moved to SecretSealer): the clone then runs without credentials and a private repository
   * answers with git's authentication error; initRun again with the token.
   */
  private openToken(run: RunRecord): string | null {
    try {
      return this.tokens.open(run.tokenSealed ?? '');
    } catch {
      this.logger.warn({ runId: run.id }, 'the run\'s repository token cannot be opened with the configured internal keys; cloning without it');
      return null;
    }
  }

  /** Why a report of `attempt` was refused: the run is gone (404), or stale / no longer running (409). */
  private async refusal(runId: string, attempt: number): Promise<DomainException> {
    const run = await this.runs.find(runId);
    if (!run) return runNotFound(runId);
    if (run.attempt !== attempt) return DomainException.conflict(RunMessages.staleAttempt(runId, attempt, run.attempt));
    return DomainException.conflict(RunMessages.notRunning(runId, run.status));
  }
}

/** Event types the worker may report; COMPLETE, ERROR and INPUT_REQUIRED come with a status change only. */
export const WORKER_EVENT_TYPES = [RunEventType.Log, RunEventType.Progress, RunEventType.Step] as const;
