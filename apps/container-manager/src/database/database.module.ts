import { DynamicModule, Global, Module } from '@nestjs/common';
import { DatabaseService } from './database.service';
import { Migration, MIGRATIONS } from './migration';

/**
 * Global SQLite access. The app module passes every feature's migrations (sessions 1xx, git 2xx,
 * previews 3xx, outbox 4xx, templates 5xx) so the schema is complete before any repository is built.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(migrations: Migration[][]): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: MIGRATIONS, useValue: migrations }, DatabaseService],
      exports: [DatabaseService],
    };
  }
}
