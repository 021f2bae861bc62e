import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { RunEventType, RunStatus } from '@sandbox/contracts';
import { PageModel } from '../../graphql/page.model';
import { WorkTimestampsModel } from '../../graphql/timestamps.model';
import { GitCheckpointModel } from '../../sessions/models/git-checkpoint.model';
import { SessionModel } from '../../sessions/models/session.model';

/** GraphQL names are the values themselves (QUEUED, ...), so the two enums convert by identity. */
export const RunStatusEnum = {
  QUEUED: RunStatus.Queued,
  RUNNING: RunStatus.Running,
  AWAITING_INPUT: RunStatus.AwaitingInput,
  SUCCEEDED: RunStatus.Succeeded,
  FAILED: RunStatus.Failed,
  CANCELLED: RunStatus.Cancelled,
} as const satisfies Record<RunStatus, RunStatus>;

export const RunEventTypeEnum = {
  LOG: RunEventType.Log,
  PROGRESS: RunEventType.Progress,
  STEP: RunEventType.Step,
  INPUT_REQUIRED: RunEventType.InputRequired,
  COMPLETE: RunEventType.Complete,
  ERROR: RunEventType.Error,
} as const satisfies Record<RunEventType, RunEventType>;

registerEnumType(RunStatusEnum, {
  name: 'RunStatus',
  description: 'QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; RUNNING → AWAITING_INPUT → (submitRunInput) QUEUED. QUEUED, RUNNING and AWAITING_INPUT are active: at most one per session.',
});
registerEnumType(RunEventTypeEnum, { name: 'RunEventType', description: 'COMPLETE (run SUCCEEDED) or ERROR (FAILED, CANCELLED) is always the last event of a run.' });

@ObjectType('Run')
export class RunModel extends WorkTimestampsModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field()
  pipeline!: string;

  @Field(() => RunStatusEnum)
  status!: RunStatus;

  @Field(() => ID, { nullable: true, description: 'The run this one continues (submitRunInput on a finished run).' })
  parentRunId!: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  input!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'bootstrap: { repoName, ref, commit, detected }; test: { passed, exitCode, command }.' })
  result!: unknown;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int, { description: 'Executions of the run started by workers (more than 1 after a worker was lost mid-run).' })
  attempt!: number;

  @Field(() => Int, { description: 'Seq of its latest event (events are numbered 1, 2, 3... without gaps).' })
  lastSeq!: number;

  /** Commit hashes, resolved to checkpoints by RunsResolver. */
  baseCheckpointHash!: string | null;
  resultCheckpointHash!: string | null;
}

@ObjectType('RunPage')
export class RunPageModel extends PageModel('runs', RunModel) {}

@ObjectType('InitRunResult')
export class InitRunResultModel {
  @Field(() => SessionModel)
  session!: SessionModel;

  @Field(() => RunModel)
  run!: RunModel;
}

@ObjectType('RunEvent')
export class RunEventModel {
  @Field(() => Int)
  seq!: number;

  @Field(() => ID)
  runId!: string;

  @Field(() => RunEventTypeEnum)
  type!: RunEventType;

  @Field()
  timestamp!: Date;

  @Field()
  message!: string;

  @Field(() => GraphQLJSON, { nullable: true })
  data!: unknown;
}

@ObjectType('Pipeline')
export class PipelineModel {
  @Field()
  name!: string;

  @Field()
  builtIn!: boolean;

  @Field(() => GraphQLJSON, { description: 'The steps, e.g. [{ kind: "exec", command: "npm test" }, { kind: "input", prompt: "Deploy?" }].' })
  steps!: unknown;

  @Field(() => Date, { nullable: true })
  createdAt!: Date | null;

  @Field(() => Date, { nullable: true })
  updatedAt!: Date | null;
}

export { GitCheckpointModel };
