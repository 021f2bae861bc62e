import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { CreateJobRequest } from '@sandbox/contracts';
import { OWNER_ID_PATTERN } from '../../tasks/dto/create-task.dto';

export class CreateJobDto implements CreateJobRequest {
  @ApiProperty({ example: 'nightly checkpoint' })
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'sandbox.checkpoint' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  type!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject({ message: 'payload must be an object' })
  payload!: Record<string, unknown>;

  @ApiProperty({ example: '0 3 * * *', description: '5 fields, or 6 with seconds first' })
  @IsString({ message: 'cron must be a string' })
  @MaxLength(200)
  cron!: string;

  @ApiPropertyOptional({ example: 'Europe/Paris', default: 'UTC' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(OWNER_ID_PATTERN, { message: 'ownerId must be 1-128 characters of A-Z a-z 0-9 _ . : @ -' })
  ownerId?: string;
}

export class ListJobsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(OWNER_ID_PATTERN, { message: 'ownerId must be 1-128 characters of A-Z a-z 0-9 _ . : @ -' })
  ownerId?: string;
}
