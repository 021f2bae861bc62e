import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsDefined, IsInt, IsOptional, IsString, IsUUID, Matches, MaxLength, Min, MinLength } from 'class-validator';
import GraphQLJSON from 'graphql-type-json';
import { TEMPLATE_NAME_PATTERN } from '@sandbox/contracts';
import { PageArgs } from '../../graphql/page.args';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

@InputType()
export class InitRunInput {
  @Field({ description: 'https://, http://, ssh:// or git@host:path; nothing else (no file://, local paths or options).' })
  @IsString()
  @MaxLength(2048)
  repoUrl!: string;

  @Field({ nullable: true, description: 'Branch or tag to clone; the default branch when omitted.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  ref?: string;

  @Field({ nullable: true, description: 'Template of the new session; the default template (dev) when omitted.' })
  @IsOptional()
  @IsString()
  @Matches(TEMPLATE_NAME_PATTERN, { message: 'template must be a template name' })
  template?: string;

  @Field({ nullable: true, description: 'The first run\'s pipeline; bootstrap when omitted.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  pipeline?: string;

  @Field({ nullable: true, description: 'Token of a private repository, for this run\'s clone only: never stored in plain text, never in an event, a log or the workspace.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  @Matches(NO_CONTROL, { message: 'token must not contain control characters' })
  token?: string;
}

@ArgsType()
export class StartRunArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'sessionId must be a UUID' })
  sessionId!: string;

  @Field()
  @IsString()
  @MaxLength(64)
  pipeline!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The pipeline\'s input: plan takes the instructions (text), test { command }, bootstrap { repoUrl, ref }.' })
  @IsOptional()
  input?: unknown;
}

@ArgsType()
export class SubmitRunInputArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'sessionId must be a UUID' })
  sessionId!: string;

  @Field(() => ID, { nullable: true, description: "The session's latest run, when the caller wants to be sure what it answers." })
  @IsOptional()
  @IsUUID(undefined, { message: 'runId must be a UUID' })
  runId?: string;

  @Field()
  @IsString()
  @MaxLength(65_536)
  input!: string;
}

@ArgsType()
export class RunIdArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'runId must be a UUID' })
  runId!: string;
}

@ArgsType()
export class RunArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'id must be a UUID' })
  id!: string;
}

@ArgsType()
export class RunsArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'sessionId must be a UUID' })
  sessionId!: string;
}

@ArgsType()
export class RunEventsArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'runId must be a UUID' })
  runId!: string;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: 'Resume after this seq (the last one the client has).' })
  @IsInt({ message: 'afterSeq must be an integer of at least 0' })
  @Min(0, { message: 'afterSeq must be an integer of at least 0' })
  afterSeq: number = 0;
}

@InputType()
export class RegisterPipelineInput {
  @Field()
  @IsString()
  @MaxLength(64)
  name!: string;

  @Field(() => GraphQLJSON, { description: 'Steps, each { kind: exec | checkpoint | agent | input | task, ... } (docs/runs.md).' })
  @IsDefined()
  steps!: unknown;
}
