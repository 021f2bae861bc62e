export * from './client-errors';
export * from './container-manager.client';
export * from './gateway.client';
export * from './http-client';
export * from './worker.client';
export * from './service-clients.module';
