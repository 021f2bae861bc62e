import { Args, Context, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser, GraphQLRequestContext } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { SessionScopedArgs } from '../sessions/dto/graphql.inputs';
import { CommandOutputArgs, CommandScopedArgs, OpenTerminalArgs, SendCommandInputArgs, SignalCommandArgs, StartCommandArgs } from './dto/command.inputs';
import { CommandModel, CommandOutputEventModel, TerminalTicketModel } from './models/command.model';
import { SessionCommandsService } from './session-commands.service';

/** Background commands and the terminal of the caller's sessions (docs/api.md, api-gateway: commands and terminal). */
@Resolver()
@Authenticated()
export class SessionCommandsResolver {
  constructor(private readonly service: SessionCommandsService) {}

  @Mutation(() => CommandModel, { description: 'Starts a command in the background (`sh -c`); follow it with commandOutput.' })
  startCommand(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, input }: StartCommandArgs): Promise<CommandModel> {
    return this.service.start(user, sessionId, input);
  }

  @Query(() => [CommandModel], { description: 'Running commands and the last ones that finished.' })
  commands(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId }: SessionScopedArgs): Promise<CommandModel[]> {
    return this.service.list(user, sessionId);
  }

  @Query(() => CommandModel)
  command(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, commandId }: CommandScopedArgs): Promise<CommandModel> {
    return this.service.get(user, sessionId, commandId);
  }

  @Mutation(() => Int, { description: 'Writes to the command’s stdin (text or base64; eof closes it afterwards); returns the bytes written.' })
  sendCommandInput(@CurrentUser() user: AuthenticatedUser, @Args() args: SendCommandInputArgs): Promise<number> {
    return this.service.sendInput(user, args.sessionId, args.commandId, { text: args.text ?? undefined, base64: args.base64 ?? undefined, eof: args.eof });
  }

  @Mutation(() => Boolean, { description: 'Sends a signal to the command’s process group.' })
  signalCommand(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, commandId, signal }: SignalCommandArgs): Promise<boolean> {
    return this.service.signal(user, sessionId, commandId, signal);
  }

  @Subscription(() => CommandOutputEventModel, { description: 'The command’s output kept from `from` (0: the start), then live; the last event carries its exit.' })
  commandOutput(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, commandId, from }: CommandOutputArgs): Promise<AsyncIterableIterator<{ commandOutput: CommandOutputEventModel }>> {
    return this.service.output(user, sessionId, commandId, from);
  }

  @Mutation(() => TerminalTicketModel, { description: 'A one-time WebSocket URL (valid 60 s) to a PTY shell in the session.' })
  openTerminal(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, cols, rows }: OpenTerminalArgs, @Context() context: GraphQLRequestContext): Promise<TerminalTicketModel> {
    return this.service.openTerminal(user, sessionId, { cols, rows }, socketOrigin(context));
  }
}

/** ws(s)://host of the gateway as the client reached it over HTTP; null over graphql-ws (the URL is then relative). */
function socketOrigin(context: GraphQLRequestContext): string | null {
  const req = context.req;
  const host = req?.headers.host;
  if (!req || !host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return null;
  return `${req.protocol === 'https' ? 'wss' : 'ws'}://${host}`;
}
