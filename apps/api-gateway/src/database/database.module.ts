import { Global, Module } from '@nestjs/common';
import { DatabaseHealthRepository } from './database-health.repository';
import { PrismaService } from './prisma.service';

@Global()
@Module({
  providers: [PrismaService, DatabaseHealthRepository],
  exports: [PrismaService, DatabaseHealthRepository],
})
export class DatabaseModule {}
