import { ArgsType, Field, Float, ID, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import GraphQLJSON from 'graphql-type-json';
import { COMMAND_SIGNALS, type CommandSignal, ExecLimits, IsCommand, IsEnvMap, TerminalErrors, TerminalLimits } from '@sandbox/contracts';
import { SessionScopedArgs } from '../../sessions/dto/graphql.inputs';

/** Largest stdin of one sendCommandInput (as text or base64 of 1 MiB), like the manager's input route. */
export const MAX_COMMAND_INPUT_LENGTH = 1_400_000;

export enum CommandSignalEnum {
  SIGHUP = 'SIGHUP',
  SIGINT = 'SIGINT',
  SIGQUIT = 'SIGQUIT',
  SIGKILL = 'SIGKILL',
  SIGUSR1 = 'SIGUSR1',
  SIGUSR2 = 'SIGUSR2',
  SIGTERM = 'SIGTERM',
  SIGCONT = 'SIGCONT',
  SIGSTOP = 'SIGSTOP',
  SIGTSTP = 'SIGTSTP',
  SIGWINCH = 'SIGWINCH',
}
registerEnumType(CommandSignalEnum, { name: 'CommandSignal', description: 'Signals a command’s process group may be sent.' });

@InputType()
export class StartCommandInput {
  @Field({ description: 'Run with `sh -c` in the sandbox, in the background.' })
  @IsString()
  @IsCommand()
  command!: string;

  @Field({ nullable: true, description: 'Relative to /workspace, or absolute inside it.' })
  @IsOptional()
  @IsString()
  @MaxLength(ExecLimits.pathMaxLength)
  cwd?: string;

  @Field(() => GraphQLJSON, { nullable: true })
  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;
}

@ArgsType()
export class StartCommandArgs extends SessionScopedArgs {
  @Field(() => StartCommandInput)
  @ValidateNested()
  @Type(() => StartCommandInput)
  input!: StartCommandInput;
}

@ArgsType()
export class CommandScopedArgs extends SessionScopedArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'commandId must be a UUID' })
  commandId!: string;
}

@ArgsType()
export class CommandOutputArgs extends CommandScopedArgs {
  @Field(() => Float, { nullable: true, defaultValue: 0, description: 'Output offset to start from (0: everything kept, replayed); the `offset` of the last event received resumes after it.' })
  @IsInt({ message: 'from must be an output offset' })
  @Min(0, { message: 'from must be an output offset' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'from must be an output offset' })
  from: number = 0;
}

@ArgsType()
export class SendCommandInputArgs extends CommandScopedArgs {
  @Field({ nullable: true, description: 'Text for stdin (UTF-8). Give this or base64.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_COMMAND_INPUT_LENGTH)
  text?: string;

  @Field({ nullable: true, description: 'Bytes for stdin, base64-encoded.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_COMMAND_INPUT_LENGTH)
  base64?: string;

  @Field({ nullable: true, defaultValue: false, description: 'Close stdin afterwards (the command reads end of file).' })
  @IsBoolean()
  eof: boolean = false;
}

@ArgsType()
export class SignalCommandArgs extends CommandScopedArgs {
  @Field(() => CommandSignalEnum)
  @IsIn(COMMAND_SIGNALS, { message: `signal must be one of ${COMMAND_SIGNALS.join(', ')}` })
  signal!: CommandSignal;
}

@ArgsType()
export class OpenTerminalArgs extends SessionScopedArgs {
  @Field(() => Int, { nullable: true, defaultValue: TerminalLimits.defaultCols })
  @IsInt({ message: TerminalErrors.size })
  @Min(TerminalLimits.minSize, { message: TerminalErrors.size })
  @Max(TerminalLimits.maxCols, { message: TerminalErrors.size })
  cols: number = TerminalLimits.defaultCols;

  @Field(() => Int, { nullable: true, defaultValue: TerminalLimits.defaultRows })
  @IsInt({ message: TerminalErrors.size })
  @Min(TerminalLimits.minSize, { message: TerminalErrors.size })
  @Max(TerminalLimits.maxRows, { message: TerminalErrors.size })
  rows: number = TerminalLimits.defaultRows;
}
