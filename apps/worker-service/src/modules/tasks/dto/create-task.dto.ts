import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { TASK_PRIORITY_VALUES } from '@sandbox/contracts';
import type { CreateTaskRequest, TaskPriorityValue } from '@sandbox/contracts';

export const OWNER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

export class CreateTaskDto implements CreateTaskRequest {
  @ApiProperty({ example: 'sandbox.exec' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  type!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { sessionId: '0b6a…', command: 'npm test' } })
  @IsObject({ message: 'payload must be an object' })
  payload!: Record<string, unknown>;

  @ApiProperty({ enum: TASK_PRIORITY_VALUES, description: '1 = LOW, 5 = NORMAL, 10 = HIGH' })
  @IsIn(TASK_PRIORITY_VALUES, { message: 'priority must be one of 1, 5, 10' })
  priority!: TaskPriorityValue;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt({ message: 'maxAttempts must be an integer' })
  @Min(1, { message: 'maxAttempts must be between 1 and 100' })
  @Max(100, { message: 'maxAttempts must be between 1 and 100' })
  maxAttempts?: number;

  @ApiPropertyOptional({ description: 'Owner (the gateway passes the API key owner)' })
  @IsOptional()
  @Matches(OWNER_ID_PATTERN, { message: 'ownerId must be 1-128 characters of A-Z a-z 0-9 _ . : @ -' })
  ownerId?: string;
}
