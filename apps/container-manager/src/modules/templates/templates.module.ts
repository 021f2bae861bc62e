import { Module } from '@nestjs/common';
import { ManagerConfigModule } from '../../config/manager-config.module';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { TemplatesController } from './templates.controller';
import { TemplatesRepository } from './templates.repository';
import { TemplatesService } from './templates.service';

export { TEMPLATE_MIGRATIONS } from './templates.migrations';

/** Templates: built-in and user images sessions start from (Docker and the session rows from the repositories module). */
@Module({
  imports: [ManagerConfigModule, RepositoriesModule],
  controllers: [TemplatesController],
  providers: [TemplatesRepository, TemplatesService],
  exports: [TemplatesService],
})
export class TemplatesModule {}
