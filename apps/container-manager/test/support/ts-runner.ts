// Runs a TypeScript entry point of this repository in a child process (for tests that SIGKILL a
// real manager): compiles .ts on require with SWC, as Jest does, and maps the @sandbox/* aliases.
// Itself run by Node 24's built-in type stripping: `node ts-runner.ts <entry.ts>`.
import { type Options, transformSync } from '@swc/core';
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

interface CompilableModule {
  _compile(code: string, filename: string): void;
}
const internals = Module as unknown as {
  _resolveFilename(request: string, ...rest: unknown[]): string;
  _extensions: Record<string, (module: CompilableModule, filename: string) => void>;
};

const root = resolve(process.argv[1], '../../../../..');
// The @sandbox/* aliases, from the one place they are written: tsconfig.base.json `paths`.
const { paths } = (JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions;
const aliases: Record<string, string> = Object.fromEntries(Object.entries(paths).map(([alias, [target]]) => [alias, target]));
const resolveFilename = internals._resolveFilename.bind(internals);
internals._resolveFilename = (request: string, ...rest: unknown[]) => resolveFilename(aliases[request] ? join(root, aliases[request]) : request, ...rest);
// The SWC options Jest compiles with, from the one place they are written: swc.options.json.
const swcOptions = JSON.parse(readFileSync(join(root, 'swc.options.json'), 'utf8')) as Options;
internals._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
createRequire(join(root, 'package.json'))(resolve(process.argv[2]));
