import { DynamicModule, Module } from '@nestjs/common';
import { ServiceClientsModule } from '@sandbox/clients';
import { serviceRootModule } from '@sandbox/shared';
import { ManagerEnvironment } from './config/environment';
import { ManagerConfigModule } from './config/manager-config.module';
import { DatabaseModule } from './database/database.module';
import { CommandsModule } from './modules/commands/commands.module';
import { ExecModule } from './modules/exec/exec.module';
import { FilesModule } from './modules/files/files.module';
import { GIT_MIGRATIONS, GitModule } from './modules/git/git.module';
import { ManagerHealthChecks } from './modules/health/manager-health.checks';
import { OUTBOX_MIGRATIONS, OutboxModule } from './modules/outbox/outbox.module';
import { PREVIEW_MIGRATIONS } from './modules/previews/previews.migrations';
import { PreviewsModule } from './modules/previews/previews.module';
import { SandboxAgentModule } from './modules/sandbox-agent/sandbox-agent.module';
import { SESSION_MIGRATIONS, SessionsModule } from './modules/sessions/sessions.module';
import { TEMPLATE_MIGRATIONS } from './modules/templates/templates.module';
import { TerminalModule } from './modules/terminal/terminal.module';
import { RepositoriesModule } from './repositories/repositories.module';

@Module({})
export class AppModule {
  /** Built on demand so the environment is read when the app starts, not when this file is imported. */
  static forRoot(): DynamicModule {
    return serviceRootModule(AppModule, {
      name: 'container-manager',
      environment: ManagerEnvironment,
      health: { checks: ManagerHealthChecks, imports: [RepositoriesModule] },
      imports: [
        ServiceClientsModule,
        DatabaseModule.forRoot([SESSION_MIGRATIONS, OUTBOX_MIGRATIONS, GIT_MIGRATIONS, PREVIEW_MIGRATIONS, TEMPLATE_MIGRATIONS]),
        ManagerConfigModule,
        OutboxModule,
        SandboxAgentModule,
        SessionsModule,
        ExecModule,
        CommandsModule,
        TerminalModule,
        FilesModule,
        GitModule,
        PreviewsModule,
      ],
    });
  }
}
