import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { PublicJobStatus, PublicTaskStatus, TaskEventType, TaskPriority } from '@sandbox/contracts';
import { PageModel } from '../../graphql/page.model';
import { TimestampsModel, WorkTimestampsModel } from '../../graphql/timestamps.model';

// GraphQL takes enum value names from the keys: these objects give the upper-case names of docs/api.md and keep
// the contract enums' values, so the two convert by identity.
export const TaskPriorityEnum = { LOW: TaskPriority.Low, NORMAL: TaskPriority.Normal, HIGH: TaskPriority.High } as const;
export const TaskStatusEnum = {
  PENDING: PublicTaskStatus.Pending,
  IN_PROGRESS: PublicTaskStatus.InProgress,
  COMPLETED: PublicTaskStatus.Completed,
  FAILED: PublicTaskStatus.Failed,
} as const;
const JobStatusEnum = { ACTIVE: PublicJobStatus.Active, PAUSED: PublicJobStatus.Paused, FAILED: PublicJobStatus.Failed } as const;
const TaskEventTypeEnum = { LOG: TaskEventType.Log, PROGRESS: TaskEventType.Progress, COMPLETE: TaskEventType.Complete, ERROR: TaskEventType.Error } as const;

registerEnumType(TaskPriorityEnum, { name: 'TaskPriority', description: 'LOW = 1, NORMAL = 5, HIGH = 10 on the worker.' });
registerEnumType(TaskStatusEnum, {
  name: 'TaskStatus',
  description: 'pending → PENDING; processing, retrying → IN_PROGRESS; completed → COMPLETED; failed, cancelled → FAILED.',
});
registerEnumType(JobStatusEnum, { name: 'JobStatus' });
registerEnumType(TaskEventTypeEnum, { name: 'TaskEventType' });

@ObjectType('Task')
export class TaskModel extends WorkTimestampsModel {
  @Field(() => ID)
  id!: string;

  @Field()
  type!: string;

  @Field(() => GraphQLJSON)
  payload!: Record<string, unknown>;

  @Field(() => TaskPriorityEnum)
  priority!: TaskPriority;

  @Field(() => TaskStatusEnum)
  status!: PublicTaskStatus;

  @Field({ description: "The worker's own status: pending, processing, retrying, completed, failed or cancelled." })
  rawStatus!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int)
  maxAttempts!: number;

  @Field(() => GraphQLJSON, { nullable: true })
  result!: unknown;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => String, { nullable: true, description: 'The cron job that created this task, if any.' })
  jobId!: string | null;
}

@ObjectType('TaskPage')
export class TaskPageModel extends PageModel('tasks', TaskModel) {}

@ObjectType('Job')
export class JobModel extends TimestampsModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  type!: string;

  @Field(() => GraphQLJSON)
  payload!: Record<string, unknown>;

  @Field()
  cron!: string;

  @Field()
  timezone!: string;

  @Field(() => JobStatusEnum)
  status!: PublicJobStatus;

  @Field({ description: "The worker's own status: active, paused or failed." })
  rawStatus!: string;

  @Field(() => Int)
  consecutiveFailures!: number;

  @Field(() => Date, { nullable: true })
  lastRunAt!: Date | null;

  @Field(() => Date, { nullable: true })
  nextRunAt!: Date | null;
}

@ObjectType('TaskEvent')
export class TaskEventModel {
  @Field(() => ID)
  taskId!: string;

  @Field(() => TaskEventTypeEnum)
  type!: TaskEventType;

  @Field()
  message!: string;

  @Field(() => Int, { nullable: true })
  progress!: number | null;

  @Field(() => GraphQLJSON, { nullable: true })
  data!: unknown;

  @Field()
  timestamp!: Date;
}
