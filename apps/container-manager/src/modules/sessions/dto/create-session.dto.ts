import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, Min } from 'class-validator';
import { type CreateSandboxRequest, IsDiskMb, IsEnvMap, IsImageName, IsLifecycleMs, IsSessionId, IsTemplateName } from '@sandbox/contracts';

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

  @ApiPropertyOptional({ description: 'Size of the workspace filesystem in MB, at most WORKSPACE_QUOTA_MB (the default); needs workspace quotas' })
  @IsOptional()
  @IsDiskMb()
  diskMb?: number;

  @ApiPropertyOptional({ description: 'Pause after this long without activity; 0: never; default SESSION_IDLE_TIMEOUT_MS' })
  @IsOptional()
  @IsLifecycleMs('idleTimeoutMs')
  idleTimeoutMs?: number;

  @ApiPropertyOptional({ description: 'Stop after this long paused; 0: never; default SESSION_PAUSED_STOP_MS' })
  @IsOptional()
  @IsLifecycleMs('pausedStopMs')
  pausedStopMs?: number;

  @ApiPropertyOptional({ description: 'Stop this long after the sandbox started, however busy; 0: no limit; default SESSION_MAX_LIFETIME_MS' })
  @IsOptional()
  @IsLifecycleMs('maxLifetimeMs')
  maxLifetimeMs?: number;
}
