import { Global, Module } from '@nestjs/common';
import { WorkerConfig } from './worker-config';

/** The one WorkerConfig of the app (it needs the global ConfigModule of `serviceConfigModule(WorkerEnvironment)`). */
@Global()
@Module({ providers: [WorkerConfig], exports: [WorkerConfig] })
export class WorkerConfigModule {}
