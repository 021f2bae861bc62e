import { DynamicModule, Type } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import { serviceConfigModule } from '../config/config.module';
import { HealthModule, HealthModuleOptions } from '../health/health.module';
import { LoggingModule } from '../logging/logging.module';
import { MetricsModule } from '../metrics/metrics.module';

export interface ServiceRootOptions {
  /** The service's name in its logs and in the `service` label of its metrics. */
  name: string;
  /** Its environment schema: `process.env` is validated against it when the app starts. */
  environment: ClassConstructor<object>;
  /** Its own modules, after the configuration, logging and metrics. */
  imports: NonNullable<DynamicModule['imports']>;
  /** What its `GET /health` checks. */
  health: HealthModuleOptions;
}

/**
 * The root module of a service (each app's `AppModule.forRoot()`): the validated configuration, pino
 * logging and Prometheus metrics named after the service, its own modules, and `/health`.
 */
export function serviceRootModule(module: Type, options: ServiceRootOptions): DynamicModule {
  return {
    module,
    imports: [
      serviceConfigModule(options.environment),
      LoggingModule.forService(options.name),
      MetricsModule.forService(options.name),
      ...options.imports,
      HealthModule.register(options.health),
    ],
  };
}
