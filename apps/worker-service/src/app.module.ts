import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { ServiceClientsModule } from '@sandbox/clients';
import { serviceRootModule } from '@sandbox/shared';
import { WorkerEnvironment } from './config/environment';
import { WorkerConfig } from './config/worker-config';
import { WorkerConfigModule } from './config/worker-config.module';
import { EngineModule } from './modules/engine/engine.module';
import { JobsModule } from './modules/jobs/jobs.module';
import { RedisHealthChecks } from './modules/redis/redis.health';
import { RedisModule } from './modules/redis/redis.module';
import { TasksModule } from './modules/tasks/tasks.module';

@Module({})
export class AppModule {
  /** Built on demand so the environment is read when the app starts, not when this file is imported. */
  static forRoot(): DynamicModule {
    return serviceRootModule(AppModule, {
      name: 'worker-service',
      environment: WorkerEnvironment,
      health: { checks: RedisHealthChecks },
      imports: [
        WorkerConfigModule,
        ServiceClientsModule,
        RedisModule,
        BullModule.forRootAsync({
          inject: [WorkerConfig],
          useFactory: (config: WorkerConfig) => ({ connection: { url: config.redisUrl, maxRetriesPerRequest: null }, prefix: config.prefix }),
        }),
        TasksModule,
        JobsModule,
        EngineModule,
      ],
    });
  }
}
