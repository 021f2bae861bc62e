import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';

export enum CommandStatusEnum {
  RUNNING = 'running',
  EXITED = 'exited',
  KILLED = 'killed',
}
registerEnumType(CommandStatusEnum, { name: 'CommandStatus', description: 'KILLED: ended by a signal; EXITED: ended on its own.' });

export enum CommandStreamEnum {
  STDOUT = 'stdout',
  STDERR = 'stderr',
}
registerEnumType(CommandStreamEnum, { name: 'CommandStream' });

@ObjectType('Command', { description: 'A background command of a session (the sandbox keeps its output, and the last 32 that finished).' })
export class CommandModel {
  @Field(() => ID)
  commandId!: string;

  @Field(() => GraphQLJSON, { description: 'What was started: the shell command line (or the argv it was started with).' })
  command!: string | string[];

  @Field(() => CommandStatusEnum)
  status!: CommandStatusEnum;

  @Field(() => Int, { nullable: true })
  exitCode!: number | null;

  @Field(() => String, { nullable: true, description: 'The signal that ended a KILLED command, e.g. SIGTERM.' })
  signal!: string | null;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType('CommandExit')
export class CommandExitModel {
  @Field(() => CommandStatusEnum)
  status!: CommandStatusEnum;

  @Field(() => Int, { nullable: true })
  exitCode!: number | null;

  @Field(() => String, { nullable: true })
  signal!: string | null;
}

@ObjectType('CommandOutputEvent', { description: 'Output of a command (replayed from `from`, then live); the last event carries `exit`.' })
export class CommandOutputEventModel {
  @Field(() => CommandStreamEnum, { nullable: true, description: 'Null on the exit event.' })
  stream!: CommandStreamEnum | null;

  @Field(() => String, { nullable: true, description: 'The bytes as text when they are UTF-8.' })
  text!: string | null;

  @Field(() => String, { nullable: true, description: 'The bytes base64-encoded when they are not UTF-8.' })
  base64!: string | null;

  @Field(() => Float, { description: 'Output offset after this event: pass it as `from` to resume after it.' })
  offset!: number;

  @Field(() => CommandExitModel, { nullable: true })
  exit!: CommandExitModel | null;
}

@ObjectType('TerminalTicket')
export class TerminalTicketModel {
  @Field({ description: 'WebSocket URL with a one-time ticket (relative to the gateway when opened over graphql-ws): binary frames carry bytes both ways, a text frame {"type":"resize","cols":N,"rows":N} resizes.' })
  url!: string;

  @Field()
  expiresAt!: Date;
}
