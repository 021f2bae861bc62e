import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import type { CreateSandboxRequest } from '@sandbox/contracts';
import { IsEnvMap } from '../../../common/validators';

export class CreateSessionDto implements CreateSandboxRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'sessionId must be a UUID' })
  sessionId!: string;

  @ApiPropertyOptional({ description: 'A READY template; default SANDBOX_DEFAULT_TEMPLATE (dev)' })
  @IsOptional()
  @IsString({ message: 'template must be a string' })
  @MaxLength(100, { message: 'template must be at most 100 characters' })
  template?: string;

  @ApiPropertyOptional({ description: 'Another way to name a READY template: its image (e.g. sandbox-base:local). Not with `template`.' })
  @IsOptional()
  @IsString({ message: 'image must be a string' })
  @MaxLength(255, { message: 'image must be at most 255 characters' })
  image?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;

  @ApiPropertyOptional({ description: 'CPUs (fractions allowed), at most SANDBOX_MAX_CPU' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'cpu must be a number' })
  @Min(0.1, { message: 'cpu must be at least 0.1' })
  cpu?: number;

  @ApiPropertyOptional({ description: 'Memory limit in MiB, at most SANDBOX_MAX_MEMORY_MB' })
  @IsOptional()
  @IsInt({ message: 'memoryMb must be an integer' })
  @Min(64, { message: 'memoryMb must be at least 64' })
  memoryMb?: number;
}
