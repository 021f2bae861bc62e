import { Module } from '@nestjs/common';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TerminalGateway } from './terminal.gateway';
import { TerminalService } from './terminal.service';

@Module({ imports: [SessionsModule, RepositoriesModule], providers: [TerminalService, TerminalGateway], exports: [TerminalGateway] })
export class TerminalModule {}
