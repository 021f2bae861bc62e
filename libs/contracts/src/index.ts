export * from './errors';
export * from './git';
export * from './http';
export * from './previews';
export * from './routes';
export * from './sessions';
export * from './tasks';
export * from './templates';
