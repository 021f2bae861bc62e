export * from './stack-env';
export * from './test-app';
