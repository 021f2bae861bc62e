export * from './stack-env';
export * from './test-app';
export * from './service-process';
export * from './scripted-model-server';
export * from './data-dir';
