import './telemetry';
import 'reflect-metadata';
import { bootstrapService } from '@sandbox/shared';
import { AppModule } from './app.module';
import { WORKER_SERVICE } from './service';

void bootstrapService(AppModule.forRoot(), WORKER_SERVICE);
