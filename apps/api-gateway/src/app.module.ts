import { DynamicModule, Module } from '@nestjs/common';
import { ServiceClientsModule } from '@sandbox/clients';
import { HealthModule, LoggingModule, MetricsModule, serviceConfigModule } from '@sandbox/shared';
import { GatewayEnvironment } from './config/environment';
import { GatewayHealthChecks } from './modules/health/gateway-health.checks';

@Module({})
export class AppModule {
  /** Built on demand so the environment is read when the app starts, not when this file is imported. */
  static forRoot(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        serviceConfigModule(GatewayEnvironment),
        LoggingModule.forService('api-gateway'), MetricsModule.forService('api-gateway'),
        ServiceClientsModule,
        HealthModule.register({ checks: GatewayHealthChecks }),
      ],
    };
  }
}
