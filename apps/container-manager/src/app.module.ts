import { DynamicModule, Module } from '@nestjs/common';
import { ServiceClientsModule } from '@sandbox/clients';
import { HealthModule, LoggingModule, MetricsModule, serviceConfigModule } from '@sandbox/shared';
import { ManagerEnvironment } from './config/environment';

@Module({})
export class AppModule {
  /** Built on demand so the environment is read when the app starts, not when this file is imported. */
  static forRoot(): DynamicModule {
    return {
      module: AppModule,
      imports: [serviceConfigModule(ManagerEnvironment), LoggingModule.forService('container-manager'), MetricsModule.forService('container-manager'), ServiceClientsModule, HealthModule.register()],
    };
  }
}
