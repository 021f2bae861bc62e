import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BrowserModule } from '../browser/browser.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SessionCommandsResolver } from './session-commands.resolver';
import { SessionCommandsService } from './session-commands.service';
import { TerminalSocketGateway } from './terminal-socket.gateway';
import { TerminalTicketsService } from './terminal-tickets.service';

/** Background commands (startCommand, commandOutput, ...) and the terminal (openTerminal, /terminal) over the gateway. */
@Module({
  imports: [AuthModule, BrowserModule, SessionsModule],
  providers: [SessionCommandsService, SessionCommandsResolver, TerminalTicketsService, TerminalSocketGateway],
})
export class CommandsModule {}
