import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { COMMIT_HASH_PATTERN, CommitRequest, RestoreRequest } from '@sandbox/contracts';
import { PageQueryDto } from '@sandbox/shared';

const HASH_MESSAGE = (field: string) => `${field} must be a 40-character lower-case hexadecimal commit hash`;
const NO_NUL = /^[^\0]*$/;

export class CommitRequestDto implements CommitRequest {
  @ApiPropertyOptional({ maxLength: 2000, description: 'Commit message; any text (a leading "-" is kept as text).' })
  @IsOptional()
  @IsString({ message: 'description must be a string' })
  @MaxLength(2000, { message: 'description must be at most 2000 characters' })
  @Matches(NO_NUL, { message: 'description must not contain NUL characters' })
  description?: string;

  @ApiPropertyOptional({ minimum: 0, description: 'Chat message number this checkpoint belongs to.' })
  @IsOptional()
  @IsInt({ message: 'messageNumber must be an integer' })
  @Min(0, { message: 'messageNumber must be at least 0' })
  messageNumber?: number;
}

export class RestoreRequestDto implements RestoreRequest {
  @ApiProperty({ pattern: COMMIT_HASH_PATTERN.source })
  @IsString({ message: HASH_MESSAGE('commitHash') })
  @Matches(COMMIT_HASH_PATTERN, { message: HASH_MESSAGE('commitHash') })
  commitHash!: string;
}

/** `?limit&offset` of the checkpoint timeline. */
export class CheckpointsQueryDto extends PageQueryDto {}

export class DiffQueryDto {
  @ApiProperty({ pattern: COMMIT_HASH_PATTERN.source, description: 'A checkpoint of this session.' })
  @IsString({ message: HASH_MESSAGE('from') })
  @Matches(COMMIT_HASH_PATTERN, { message: HASH_MESSAGE('from') })
  from!: string;

  @ApiPropertyOptional({ pattern: COMMIT_HASH_PATTERN.source, description: 'A later checkpoint; omitted: the workspace as it is now.' })
  @IsOptional()
  @IsString({ message: HASH_MESSAGE('to') })
  @Matches(COMMIT_HASH_PATTERN, { message: HASH_MESSAGE('to') })
  to?: string;
}
