import { DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { ServiceClientsModule } from '@sandbox/clients';
import { serviceRootModule } from '@sandbox/shared';
import { GatewayEnvironment } from './config/environment';
import { GatewayConfig } from './config/gateway-config';
import { GatewayConfigModule } from './config/gateway-config.module';
import { DatabaseModule } from './database/database.module';
import { AuthModule } from './modules/auth/auth.module';
import { BrowserModule } from './modules/browser/browser.module';
import { CommandsModule } from './modules/commands/commands.module';
import { ConnectModule } from './modules/connect/connect.module';
import { GatewayGraphQLModule } from './modules/graphql/graphql.module';
import { GatewayHealthChecks } from './modules/health/gateway-health.checks';
import { McpModule } from './modules/mcp/mcp.module';
import { RunsModule } from './modules/runs/runs.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { TasksModule } from './modules/tasks/tasks.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** Built on demand so the environment is read when the app starts, not when this file is imported. */
  static forRoot(): DynamicModule {
    return serviceRootModule(AppModule, {
      name: 'api-gateway',
      environment: GatewayEnvironment,
      health: { checks: GatewayHealthChecks },
      imports: [
        GatewayConfigModule,
        ServiceClientsModule,
        DatabaseModule,
        ThrottlerModule.forRootAsync({
          inject: [GatewayConfig],
          useFactory: (config: GatewayConfig) => ({ throttlers: [{ name: 'api-key', ttl: config.throttle.ttlMs, limit: config.throttle.limit }] }),
        }),
        AuthModule,
        BrowserModule,
        GatewayGraphQLModule,
        SessionsModule,
        CommandsModule,
        TasksModule,
        McpModule,
        RunsModule,
        ConnectModule,
        WebhooksModule,
      ],
    });
  }
}
