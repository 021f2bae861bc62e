import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { TemplatesResolver } from './templates.resolver';
import { TemplatesService } from './templates.service';

@Module({
  imports: [AuthModule],
  providers: [TemplatesService, TemplatesResolver],
  exports: [TemplatesService],
})
export class TemplatesModule {}
