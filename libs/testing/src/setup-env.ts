// Jest setup: make the real stack's connection details visible to every test file.
import 'reflect-metadata';
import { readStackEnv } from './stack-env';

for (const [key, value] of Object.entries(readStackEnv())) {
  process.env[key] ??= value;
}
process.env.LOG_LEVEL ??= 'warn';
