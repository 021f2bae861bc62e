import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { COMMAND_SIGNALS, type CommandSignal, type CommandSignalRequest, ExecLimits, IsCommand, IsEnvMap, type StartCommandRequest } from '@sandbox/contracts';

export class StartCommandDto implements StartCommandRequest {
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

export class CommandSignalDto implements CommandSignalRequest {
  @ApiProperty({ enum: COMMAND_SIGNALS })
  @IsIn(COMMAND_SIGNALS, { message: `signal must be one of ${COMMAND_SIGNALS.join(', ')}` })
  signal!: CommandSignal;
}
