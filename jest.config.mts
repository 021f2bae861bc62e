import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One Jest run for every project. Unit tests are `*.spec.ts`, integration tests against the real
 * Docker engine, PostgreSQL and Redis are `*.int-spec.ts`; both run under `npm test`.
 * TypeScript is compiled by SWC with the options of swc.options.json (shared with the build and the test ts-runner).
 */
const swcOptions = JSON.parse(readFileSync(join(import.meta.dirname, 'swc.options.json'), 'utf8')) as Record<string, unknown>;
const swcTransform = ['@swc/jest', { ...swcOptions, sourceMaps: 'inline' }];

/** The @sandbox/* aliases, from the one place they are written: tsconfig.base.json `paths`. */
const { paths } = (JSON.parse(readFileSync(join(import.meta.dirname, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions;
const moduleNameMapper = Object.fromEntries(Object.entries(paths).map(([alias, [target]]) => [`^${alias}$`, join(import.meta.dirname, target)]));

const projects = [
  'apps/api-gateway',
  'apps/worker-service',
  'apps/container-manager',
  'apps/platform-e2e',
  'libs/contracts',
  'libs/clients',
  'libs/shared',
  'libs/testing',
  'libs/sdk',
].map((dir) => ({
  displayName: dir.split('/')[1],
  rootDir: `<rootDir>/${dir}`,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
  transform: { '^.+\\.(t|j)s$': swcTransform },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // libs/sdk is an ES module package: its relative imports end in `.js` and name `.ts` sources.
  moduleNameMapper: dir === 'libs/sdk' ? { ...moduleNameMapper, '^(\\.{1,2}/.*)\\.js$': '$1' } : moduleNameMapper,
  setupFiles: ['<rootDir>/../../libs/testing/src/setup-env.ts'],
}));

export default {
  projects,
  testTimeout: 60_000,
  maxWorkers: 2,
};
