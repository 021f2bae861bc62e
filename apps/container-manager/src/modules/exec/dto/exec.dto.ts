import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import type { ExecRequest } from '@sandbox/contracts';
import { IsCommand, IsEnvMap } from '../../../common/validators';

export class ExecDto implements ExecRequest {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'string → `sh -c`, array → argv' })
  @IsCommand()
  command!: string | string[];

  @ApiPropertyOptional({ description: 'Relative to /workspace, or absolute inside it' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  cwd?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  stdin?: string;

  @ApiPropertyOptional({ description: 'Default 30 000, at most EXEC_MAX_TIMEOUT_MS (600 000)' })
  @IsOptional()
  @IsInt({ message: 'timeoutMs must be an integer' })
  @Min(1, { message: 'timeoutMs must be at least 1' })
  timeoutMs?: number;
}
