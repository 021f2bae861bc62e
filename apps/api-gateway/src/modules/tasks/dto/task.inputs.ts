import { ArgsType, Field, InputType, Int } from '@nestjs/graphql';

import { IsEnum, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import GraphQLJSON from 'graphql-type-json';
import { TaskPriorityEnum, TaskStatusEnum } from '../models/task.model';
import { PublicTaskStatus, TaskPriority } from '@sandbox/contracts';
import { PageArgs } from '../../graphql/page.args';

@InputType()
export class CreateTaskInput {
  @Field({ description: 'A task type the worker knows, e.g. sandbox.exec.' })
  @IsString()
  @Length(1, 100)
  type!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Handler input; an object.' })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @Field(() => TaskPriorityEnum, { defaultValue: TaskPriority.Normal })
  @IsEnum(TaskPriority)
  priority: TaskPriority = TaskPriority.Normal;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;
}

@InputType()
export class CreateJobInput {
  @Field()
  @IsString()
  @Length(1, 200)
  name!: string;

  @Field()
  @IsString()
  @Length(1, 100)
  type!: string;

  @Field(() => GraphQLJSON, { nullable: true })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @Field({ description: 'Cron expression, 5 or 6 fields.' })
  @IsString()
  @Length(1, 200)
  cron!: string;

  @Field({ nullable: true, description: 'IANA time zone, default UTC.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;
}

@ArgsType()
export class TaskIdArgs {
  @Field()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,100}$/, { message: 'taskId is malformed' })
  taskId!: string;
}

@ArgsType()
export class JobIdArgs {
  @Field()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,100}$/, { message: 'jobId is malformed' })
  jobId!: string;
}

@ArgsType()
export class TasksArgs extends PageArgs {
  @Field(() => TaskStatusEnum, { nullable: true })
  @IsOptional()
  @IsIn(Object.values(PublicTaskStatus))
  status?: PublicTaskStatus;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;
}
