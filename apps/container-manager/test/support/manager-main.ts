// Entry point of a manager child process in tests (see ts-runner.cjs).
import 'reflect-metadata';
import { bootstrapService } from '@sandbox/shared';
import { AppModule } from '../../src/app.module';
import { MANAGER_TEST_SERVICE } from './manager-service';

void bootstrapService(AppModule.forRoot(), MANAGER_TEST_SERVICE);
