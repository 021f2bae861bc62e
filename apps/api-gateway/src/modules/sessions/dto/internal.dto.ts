import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import type { CheckpointNotification, SessionErrorRequest } from '@sandbox/contracts';

export const MAX_REASON_LENGTH = 4000;
export const MAX_DESCRIPTION_LENGTH = 10_000;

/** Body of POST /api/internal/sessions/:id/error. */
export class SessionErrorDto implements SessionErrorRequest {
  @ApiPropertyOptional({ maxLength: MAX_REASON_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;
}

/** Body of POST /api/internal/git-checkpoints (docs/api.md, api-gateway: internal routes). */
export class CheckpointNotificationDto implements CheckpointNotification {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  sessionId!: string;

  @ApiProperty({ pattern: '^[0-9a-f]{40}$' })
  @IsString()
  @Matches(/^[0-9a-f]{40}$/, { message: 'commitHash must be a 40-character lowercase hex SHA-1' })
  commitHash!: string;

  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  filesChanged!: number;

  @ApiProperty({ type: Number, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  messageNumber!: number | null;

  @ApiProperty({ type: String, nullable: true, maxLength: MAX_DESCRIPTION_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_LENGTH)
  description!: string | null;
}
