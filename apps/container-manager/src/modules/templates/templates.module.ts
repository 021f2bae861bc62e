import { Module } from '@nestjs/common';
import { ManagerConfigModule } from '../../config/manager-config.module';
import { TemplatesController } from './templates.controller';
import { TemplatesRepository } from './templates.repository';
import { TemplatesService } from './templates.service';

export { TEMPLATE_MIGRATIONS } from './templates.migrations';

/** Templates: built-in and user images sessions start from. Docker and session rows come from the global SessionsModule. */
@Module({
  imports: [ManagerConfigModule],
  controllers: [TemplatesController],
  providers: [TemplatesRepository, TemplatesService],
  exports: [TemplatesService],
})
export class TemplatesModule {}
