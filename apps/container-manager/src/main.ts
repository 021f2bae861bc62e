import './telemetry';
import 'reflect-metadata';
import { bootstrapService } from '@sandbox/shared';
import { AppModule } from './app.module';
import { CONTAINER_MANAGER_SERVICE } from './service';

void bootstrapService(AppModule.forRoot(), CONTAINER_MANAGER_SERVICE);
