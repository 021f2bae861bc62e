export * from './api-key-auth.guard';
export * from './api-key-connections.service';
export * from './api-key-throttler.guard';
export * from './api-keys.service';
export * from './auth.module';
export * from './auth.types';
export * from './current-user.decorator';
