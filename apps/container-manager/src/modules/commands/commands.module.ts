import { Module } from '@nestjs/common';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { SessionsModule } from '../sessions/sessions.module';
import { CommandsController } from './commands.controller';
import { CommandsService } from './commands.service';

@Module({ imports: [SessionsModule, RepositoriesModule], controllers: [CommandsController], providers: [CommandsService] })
export class CommandsModule {}
