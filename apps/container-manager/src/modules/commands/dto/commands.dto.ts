import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { COMMAND_SIGNALS, type CommandSignal, type CommandSignalRequest, type StartCommandRequest } from '@sandbox/contracts';
import { ProcessSpecDto } from '../../exec/dto/exec.dto';

/** `command`, `cwd`, `env`: the same rules as exec's. */
export class StartCommandDto extends ProcessSpecDto implements StartCommandRequest {}

export class CommandSignalDto implements CommandSignalRequest {
  @ApiProperty({ enum: COMMAND_SIGNALS })
  @IsIn(COMMAND_SIGNALS, { message: `signal must be one of ${COMMAND_SIGNALS.join(', ')}` })
  signal!: CommandSignal;
}
