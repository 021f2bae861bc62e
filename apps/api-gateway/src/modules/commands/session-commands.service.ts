import { Injectable } from '@nestjs/common';
import { ContainerManagerClient } from '@sandbox/clients';
import { CommandExitEvent, CommandInfo, CommandSignal, GatewaySessionStatus } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import type { AuthenticatedUser } from '../auth/auth.types';
import { SessionsService } from '../sessions/sessions.service';
import { StartCommandInput } from './dto/command.inputs';
import { CommandModel, CommandOutputEventModel, CommandStatusEnum, CommandStreamEnum } from './models/command.model';
import { TerminalTicketsService } from './terminal-tickets.service';

/** Path of the gateway's terminal WebSocket; openTerminal's URL points here with the ticket. */
export const TERMINAL_SOCKET_PATH = '/terminal';

export const CommandErrors = {
  inputForm: 'Give text or base64 for stdin, not both',
  inputBase64: 'base64 must be base64-encoded bytes',
  notOpen: (id: string, status: string) => `Session ${id} is ${status}: start it to open a terminal`,
} as const;

type OutputItem = { value: CommandOutputEventModel } | { error: unknown } | { end: true };

/**
 * Background commands and terminals of the caller's sessions over GraphQL (docs/api.md, api-gateway:
 * commands and terminal): ownership checked first, then the container-manager's command routes. The
 * output subscription follows the manager's SSE stream (replayed from `from`, then live).
 */
@Injectable()
export class SessionCommandsService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly manager: ContainerManagerClient,
    private readonly tickets: TerminalTicketsService,
  ) {}

  async start(user: AuthenticatedUser, sessionId: string, input: StartCommandInput): Promise<CommandModel> {
    await this.sessions.get(user, sessionId);
    const { commandId } = await this.manager.startCommand(sessionId, { command: input.command, cwd: input.cwd, env: input.env });
    return toCommand(await this.manager.getCommand(sessionId, commandId));
  }

  async list(user: AuthenticatedUser, sessionId: string): Promise<CommandModel[]> {
    await this.sessions.get(user, sessionId);
    return (await this.manager.listCommands(sessionId)).commands.map(toCommand);
  }

  async get(user: AuthenticatedUser, sessionId: string, commandId: string): Promise<CommandModel> {
    await this.sessions.get(user, sessionId);
    return toCommand(await this.manager.getCommand(sessionId, commandId));
  }

  async sendInput(user: AuthenticatedUser, sessionId: string, commandId: string, input: { text?: string; base64?: string; eof: boolean }): Promise<number> {
    if (input.text !== undefined && input.base64 !== undefined) throw DomainException.badRequest(CommandErrors.inputForm);
    let data = Buffer.from(input.text ?? '', 'utf8');
    if (input.base64 !== undefined) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.base64) || input.base64.length % 4 !== 0) throw DomainException.badRequest(CommandErrors.inputBase64);
      data = Buffer.from(input.base64, 'base64');
    }
    await this.sessions.get(user, sessionId);
    return (await this.manager.sendCommandInput(sessionId, commandId, data, { eof: input.eof })).bytes;
  }

  async signal(user: AuthenticatedUser, sessionId: string, commandId: string, signal: CommandSignal): Promise<boolean> {
    await this.sessions.get(user, sessionId);
    await this.manager.signalCommand(sessionId, commandId, signal);
    return true;
  }

  /** For a `commandOutput` subscription: checked (session owned, command known) before it is opened. */
  async output(user: AuthenticatedUser, sessionId: string, commandId: string, from: number): Promise<AsyncIterableIterator<{ commandOutput: CommandOutputEventModel }>> {
    await this.sessions.get(user, sessionId);
    await this.manager.getCommand(sessionId, commandId);
    const abort = new AbortController();
    const items: OutputItem[] = [];
    let wake: (() => void) | null = null;
    const push = (item: OutputItem) => {
      items.push(item);
      wake?.();
      wake = null;
    };
    let offset = from;
    this.manager
      .followCommandOutput(sessionId, commandId, {
        from,
        signal: abort.signal,
        onOutput: (event, after) => {
          offset = Number.isFinite(after) ? after : offset;
          push({ value: { stream: event.stream as CommandStreamEnum, text: event.text ?? null, base64: event.base64 ?? null, offset, exit: null } });
        },
      })
      .then((exit: CommandExitEvent) => {
        push({ value: { stream: null, text: null, base64: null, offset, exit: { ...exit, status: exit.status as CommandStatusEnum } } });
        push({ end: true });
      })
      .catch((error: unknown) => push(abort.signal.aborted ? { end: true } : { error }));
    let done = false;
    const iterator: AsyncIterableIterator<{ commandOutput: CommandOutputEventModel }> = {
      next: async () => {
        while (!done && items.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = items.shift();
        if (done || !item || 'end' in item) {
          done = true;
          return { done: true, value: undefined };
        }
        if ('error' in item) {
          done = true;
          throw item.error;
        }
        return { done: false, value: { commandOutput: item.value } };
      },
      return: async () => {
        done = true;
        abort.abort();
        wake?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** A one-time ticket (60 s) for the session's terminal WebSocket; `base`: the gateway's ws(s) origin when known. */
  async openTerminal(user: AuthenticatedUser, sessionId: string, size: { cols: number; rows: number }, base: string | null): Promise<{ url: string; expiresAt: Date }> {
    const session = await this.sessions.get(user, sessionId);
    if (session.status !== GatewaySessionStatus.Active && session.status !== GatewaySessionStatus.Paused) throw DomainException.conflict(CommandErrors.notOpen(sessionId, session.status));
    const { ticket, expiresAt } = this.tickets.issue({ sessionId, userId: user.id, apiKeyId: user.apiKeyId, ...size });
    return { url: `${base ?? ''}${TERMINAL_SOCKET_PATH}?ticket=${ticket}`, expiresAt };
  }
}

function toCommand(info: CommandInfo): CommandModel {
  return {
    commandId: info.commandId,
    command: info.command,
    status: info.status as CommandStatusEnum,
    exitCode: info.exitCode,
    signal: info.signal,
    startedAt: new Date(info.startedAt),
    finishedAt: info.finishedAt ? new Date(info.finishedAt) : null,
  };
}
