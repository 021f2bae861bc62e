import './telemetry';
import 'reflect-metadata';
import { bootstrapService } from '@sandbox/shared';
import { AppModule } from './app.module';
import { API_GATEWAY_SERVICE } from './service';

void bootstrapService(AppModule.forRoot(), API_GATEWAY_SERVICE);
