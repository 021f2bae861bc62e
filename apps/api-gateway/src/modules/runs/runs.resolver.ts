import { Args, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { InitRunInput, RegisterPipelineInput, RunArgs, RunEventsArgs, RunIdArgs, RunsArgs, StartRunArgs, SubmitRunInputArgs } from './dto/run.inputs';
import { GitCheckpointModel, InitRunResultModel, PipelineModel, RunEventModel, RunModel, RunPageModel } from './models/run.model';
import { PipelinesService } from './pipelines.service';
import type { RunRecord } from './runs.repository';
import { RunsService } from './runs.service';

export function toRunModel(run: RunRecord): RunModel {
  return {
    id: run.id,
    sessionId: run.sessionId,
    pipeline: run.pipeline,
    status: run.status,
    parentRunId: run.parentRunId,
    input: run.input,
    result: run.result,
    error: run.error,
    attempt: run.attempt,
    lastSeq: run.lastSeq,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    baseCheckpointHash: run.baseCheckpoint,
    resultCheckpointHash: run.resultCheckpoint,
  };
}

/** Runs over GraphQL (docs/runs.md): thin, every operation scoped to the caller's own sessions and runs. */
@Resolver(() => RunModel)
@Authenticated()
export class RunsResolver {
  constructor(
    private readonly service: RunsService,
    private readonly pipelineCatalog: PipelinesService,
  ) {}

  @Mutation(() => InitRunResultModel, { description: 'A session from a repository and its first run (bootstrap: clone, detect, install, checkpoint "Imported {repoName}").' })
  async initRun(@CurrentUser() user: AuthenticatedUser, @Args('input') input: InitRunInput): Promise<InitRunResultModel> {
    const { session, run } = await this.service.initRun(user, input);
    return { session, run: toRunModel(run) };
  }

  @Mutation(() => RunModel)
  async startRun(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, pipeline, input }: StartRunArgs): Promise<RunModel> {
    return toRunModel(await this.service.startRun(user, sessionId, pipeline, input));
  }

  @Mutation(() => RunModel, { description: 'Answers the run waiting for input (it resumes), else continues the conversation with a plan run.' })
  async submitRunInput(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, runId, input }: SubmitRunInputArgs): Promise<RunModel> {
    return toRunModel(await this.service.submitRunInput(user, sessionId, runId, input));
  }

  @Mutation(() => RunModel)
  async cancelRun(@CurrentUser() user: AuthenticatedUser, @Args() { runId }: RunIdArgs): Promise<RunModel> {
    return toRunModel(await this.service.cancelRun(user, runId));
  }

  @Mutation(() => GitCheckpointModel, { description: "Restores the tree to the run's baseCheckpoint; returns the new checkpoint." })
  revertRun(@CurrentUser() user: AuthenticatedUser, @Args() { runId }: RunIdArgs): Promise<GitCheckpointModel> {
    return this.service.revertRun(user, runId);
  }

  @Query(() => RunModel, { nullable: true })
  async run(@CurrentUser() user: AuthenticatedUser, @Args() { id }: RunArgs): Promise<RunModel | null> {
    const run = await this.service.find(user, id);
    return run && toRunModel(run);
  }

  @Query(() => RunPageModel)
  async runs(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, limit, offset }: RunsArgs): Promise<RunPageModel> {
    const page = await this.service.list(user, sessionId, limit, offset);
    return { runs: page.runs.map(toRunModel), total: page.total };
  }

  @Mutation(() => PipelineModel, { description: 'Registers (or replaces) one of your pipelines.' })
  registerPipeline(@CurrentUser() user: AuthenticatedUser, @Args('input') input: RegisterPipelineInput): Promise<PipelineModel> {
    return this.pipelineCatalog.register(user, input.name, input.steps);
  }

  @Query(() => [PipelineModel], { description: 'The built-in pipelines, then yours.' })
  pipelines(@CurrentUser() user: AuthenticatedUser): Promise<PipelineModel[]> {
    return this.pipelineCatalog.list(user);
  }

  @ResolveField(() => GitCheckpointModel, { nullable: true, description: 'The checkpoint recorded before the run started.' })
  baseCheckpoint(@Parent() run: RunModel): Promise<GitCheckpointModel | null> {
    return this.service.checkpoint(run.sessionId, run.baseCheckpointHash);
  }

  @ResolveField(() => GitCheckpointModel, { nullable: true, description: 'The checkpoint recorded after the run ended.' })
  resultCheckpoint(@Parent() run: RunModel): Promise<GitCheckpointModel | null> {
    return this.service.checkpoint(run.sessionId, run.resultCheckpointHash);
  }

  @Subscription(() => RunEventModel, { description: 'Events after afterSeq in seq order, then live ones; ends after COMPLETE or ERROR.' })
  async runEvents(@CurrentUser() user: AuthenticatedUser, @Args() { runId, afterSeq }: RunEventsArgs): Promise<AsyncIterableIterator<{ runEvents: RunEventModel }>> {
    const abort = new AbortController();
    const events = await this.service.events(user, runId, afterSeq, abort.signal);
    const iterator: AsyncIterableIterator<{ runEvents: RunEventModel }> = {
      next: async () => {
        const next = await events.next();
        if (next.done) return { done: true, value: undefined };
        return { done: false, value: { runEvents: { ...next.value, timestamp: new Date(next.value.timestamp) } } };
      },
      return: async () => {
        abort.abort();
        await events.return(undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
