import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { ExecLimits, type ExecRequest, IsCommand, IsEnvMap } from '@sandbox/contracts';

/** What runs and where: the body both exec and background commands start from. */
export class ProcessSpecDto implements Pick<ExecRequest, 'command' | 'cwd' | 'env'> {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'string → `sh -c`, array → argv' })
  @IsCommand()
  command!: string | string[];

  @ApiPropertyOptional({ description: 'Relative to /workspace, or absolute inside it' })
  @IsOptional()
  @IsString()
  @MaxLength(ExecLimits.pathMaxLength)
  cwd?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;
}

export class ExecDto extends ProcessSpecDto implements ExecRequest {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  stdin?: string;

  @ApiPropertyOptional({ description: `Default EXEC_DEFAULT_TIMEOUT_MS (${ExecLimits.timeoutDefaultMs}), at most EXEC_MAX_TIMEOUT_MS (${ExecLimits.timeoutMaxMs})` })
  @IsOptional()
  @IsInt({ message: 'timeoutMs must be an integer' })
  @Min(ExecLimits.timeoutMinMs, { message: `timeoutMs must be at least ${ExecLimits.timeoutMinMs}` })
  timeoutMs?: number;
}
