import { Module } from '@nestjs/common';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { SessionsModule } from '../sessions/sessions.module';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';

@Module({ imports: [SessionsModule, RepositoriesModule], controllers: [FilesController], providers: [FilesService], exports: [FilesService] })
export class FilesModule {}
