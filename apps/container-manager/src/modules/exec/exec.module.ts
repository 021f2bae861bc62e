import { Module } from '@nestjs/common';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ExecController } from './exec.controller';
import { ExecService } from './exec.service';

@Module({ imports: [SessionsModule, RepositoriesModule], controllers: [ExecController], providers: [ExecService], exports: [ExecService] })
export class ExecModule {}
