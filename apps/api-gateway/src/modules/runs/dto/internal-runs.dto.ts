import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { COMMIT_HASH_PATTERN, NewRunEvent, RunClaimRequest, RunEventBatch, RunEventType, RunFinishRequest, RunStateUpdate, RunStatus } from '@sandbox/contracts';
import type { RunFinishStatus, RunState } from '@sandbox/contracts';

const MAX_MESSAGE = 65_536;

export class RunClaimDto implements RunClaimRequest {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  taskId?: string;
}

export class NewRunEventDto implements NewRunEvent {
  @IsIn([RunEventType.Log, RunEventType.Progress, RunEventType.Step], { message: 'type must be LOG, PROGRESS or STEP' })
  type!: RunEventType.Log | RunEventType.Progress | RunEventType.Step;

  @IsString()
  @MaxLength(MAX_MESSAGE)
  message!: string;

  @IsOptional()
  data?: unknown;
}

export class RunEventBatchDto implements RunEventBatch {
  @IsInt()
  @Min(1)
  attempt!: number;

  @IsInt()
  @Min(1)
  n!: number;

  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => NewRunEventDto)
  events!: NewRunEventDto[];
}

export class RunStateUpdateDto implements RunStateUpdate {
  @IsInt()
  @Min(1)
  attempt!: number;

  @IsOptional()
  @IsObject()
  state?: RunState;

  @IsOptional()
  @Matches(COMMIT_HASH_PATTERN, { message: 'baseCheckpoint must be a commit hash' })
  baseCheckpoint?: string;

  @IsOptional()
  @IsBoolean()
  dropToken?: boolean;
}

export class RunFinishDto implements RunFinishRequest {
  @IsInt()
  @Min(1)
  attempt!: number;

  @IsIn([RunStatus.Succeeded, RunStatus.Failed, RunStatus.AwaitingInput], { message: 'status must be SUCCEEDED, FAILED or AWAITING_INPUT' })
  status!: RunFinishStatus;

  @IsOptional()
  result?: unknown;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_MESSAGE)
  error?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_MESSAGE)
  question?: string;

  @IsOptional()
  @IsObject()
  state?: RunState;

  @IsOptional()
  @Matches(COMMIT_HASH_PATTERN, { message: 'resultCheckpoint must be a commit hash' })
  resultCheckpoint?: string;
}
