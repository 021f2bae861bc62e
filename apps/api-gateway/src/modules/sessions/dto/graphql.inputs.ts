import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import GraphQLJSON from 'graphql-type-json';
import {
  COMMIT_REF_PATTERN,
  ExecLimits,
  GatewaySessionStatus,
  IsCommand,
  IsEnvMap,
  IsDiskMb,
  IsImageName,
  IsLifecycleMs,
  IsTemplateName,
  PREVIEW_PORT_MAX,
  PREVIEW_PORT_MIN,
  PreviewErrors,
} from '@sandbox/contracts';
import { MAX_PAGE_LIMIT, MAX_PAGE_OFFSET, PAGE_LIMIT_MESSAGE, PAGE_OFFSET_MESSAGE } from '@sandbox/shared';
import { FileEncoding } from '../models/sandbox.model';
import { SessionStatusEnum } from '../models/session.model';
import { PageArgs } from '../../graphql/page.args';

export const MAX_COMMAND_LENGTH = ExecLimits.commandMaxLength;
/** Largest file content accepted through GraphQL (base64 of 8 MiB); bigger files go through the manager directly. */
export const MAX_FILE_CONTENT_LENGTH = 11_200_000;
const MAX_PATH_LENGTH = ExecLimits.pathMaxLength;

@ArgsType()
export class SessionIdArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'id must be a UUID' })
  id!: string;
}

@ArgsType()
export class SessionScopedArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'sessionId must be a UUID' })
  sessionId!: string;
}

@ArgsType()
export class SessionsArgs extends PageArgs {
  @Field(() => SessionStatusEnum, { nullable: true })
  @IsOptional()
  @IsIn(Object.values(GatewaySessionStatus))
  status?: GatewaySessionStatus;
}

@InputType()
export class CreateSessionInput {
  @Field({ nullable: true, description: 'A READY template (see `templates`); SANDBOX_DEFAULT_TEMPLATE (dev) when omitted.' })
  @IsOptional()
  @IsTemplateName()
  template?: string;

  @Field({ nullable: true, description: 'Another way to name a READY template: its image (e.g. `sandbox-base:local`), kept from before templates. Not with `template`.' })
  @IsOptional()
  @IsImageName()
  image?: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Environment variables: { NAME: "value" }.' })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;

  @Field(() => Int, { nullable: true, description: "Size of the session's workspace in MB (workspace and checkpoint history), at most the manager's WORKSPACE_QUOTA_MB (the default)." })
  @IsOptional()
  @IsDiskMb()
  diskMb?: number;

  @Field(() => Int, { nullable: true, description: 'Pause the session after this long without activity (ms); 0: never; default: the platform\'s (15 min).' })
  @IsOptional()
  @IsLifecycleMs('idleTimeoutMs')
  idleTimeoutMs?: number;

  @Field(() => Int, { nullable: true, description: 'Stop the session after this long paused (ms); 0: never; default: the platform\'s (1 h).' })
  @IsOptional()
  @IsLifecycleMs('pausedStopMs')
  pausedStopMs?: number;

  @Field(() => Int, { nullable: true, description: 'Stop the session this long after its sandbox started, however busy (ms); 0: no limit; default: the platform\'s.' })
  @IsOptional()
  @IsLifecycleMs('maxLifetimeMs')
  maxLifetimeMs?: number;
}

@InputType()
export class ExecInput {
  @Field({ description: 'Run with `sh -c` in the sandbox.' })
  @IsString()
  @IsCommand()
  command!: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATH_LENGTH)
  cwd?: string;

  @Field(() => GraphQLJSON, { nullable: true })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_FILE_CONTENT_LENGTH)
  stdin?: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(ExecLimits.timeoutMinMs)
  @Max(ExecLimits.timeoutMaxMs)
  timeoutMs?: number;
}

@ArgsType()
export class ExecArgs extends SessionScopedArgs {
  @Field(() => ExecInput)
  @ValidateNested()
  @Type(() => ExecInput)
  input!: ExecInput;
}

@ArgsType()
export class FilePathArgs extends SessionScopedArgs {
  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PATH_LENGTH)
  path!: string;
}

@ArgsType()
export class ReadFileArgs extends FilePathArgs {
  @Field(() => FileEncoding, { nullable: true, defaultValue: FileEncoding.UTF8 })
  @IsIn(Object.values(FileEncoding))
  encoding: FileEncoding = FileEncoding.UTF8;
}

@ArgsType()
export class WriteFileArgs extends ReadFileArgs {
  @Field()
  @IsString()
  @MaxLength(MAX_FILE_CONTENT_LENGTH)
  content!: string;
}

@ArgsType()
export class ListFilesArgs extends SessionScopedArgs {
  @Field(() => String, { nullable: true, defaultValue: '.' })
  @IsString()
  @MaxLength(MAX_PATH_LENGTH)
  path: string = '.';
}

@ArgsType()
export class MoveFileArgs extends SessionScopedArgs {
  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PATH_LENGTH)
  from!: string;

  @Field()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PATH_LENGTH)
  to!: string;
}

@ArgsType()
export class CheckpointsArgs extends SessionScopedArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50 })
  @IsInt({ message: PAGE_LIMIT_MESSAGE })
  @Min(1, { message: PAGE_LIMIT_MESSAGE })
  @Max(MAX_PAGE_LIMIT, { message: PAGE_LIMIT_MESSAGE })
  limit: number = 50;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  @IsInt({ message: PAGE_OFFSET_MESSAGE })
  @Min(0, { message: PAGE_OFFSET_MESSAGE })
  @Max(MAX_PAGE_OFFSET, { message: PAGE_OFFSET_MESSAGE })
  offset: number = 0;
}

@ArgsType()
export class CommitCheckpointArgs extends SessionScopedArgs {
  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  messageNumber?: number;
}

@ArgsType()
export class RestoreCheckpointArgs extends SessionScopedArgs {
  @Field()
  @IsString()
  @Matches(COMMIT_REF_PATTERN, { message: 'commitHash must be a commit hash: 4 to 40 lower-case hexadecimal characters' })
  commitHash!: string;
}

@ArgsType()
export class RegisterPreviewArgs extends SessionScopedArgs {
  @Field(() => Int)
  @IsInt({ message: PreviewErrors.invalidPort })
  @Min(PREVIEW_PORT_MIN, { message: PreviewErrors.invalidPort })
  @Max(PREVIEW_PORT_MAX, { message: PreviewErrors.invalidPort })
  port!: number;
}

