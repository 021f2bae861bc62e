import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, Min } from 'class-validator';
import { type CreateSandboxRequest, IsEnvMap, IsImageName, IsSessionId, IsTemplateName } from '@sandbox/contracts';

export class CreateSessionDto implements CreateSandboxRequest {
  @ApiProperty({ format: 'uuid' })
  @IsSessionId()
  sessionId!: string;

  @ApiPropertyOptional({ description: 'A READY template; default SANDBOX_DEFAULT_TEMPLATE (dev)' })
  @IsOptional()
  @IsTemplateName()
  template?: string;

  @ApiPropertyOptional({ description: 'Another way to name a READY template: its image (e.g. sandbox-base:local). Not with `template`.' })
  @IsOptional()
  @IsImageName()
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
