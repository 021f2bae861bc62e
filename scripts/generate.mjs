#!/usr/bin/env node
// Generates the TypeScript that tools derive from the repository's schemas, into gitignored folders:
//   prisma  the api-gateway's Prisma client     prisma/schema.prisma → apps/api-gateway/src/generated/prisma
//   sdk     the SDK's typed documents            libs/sdk/src/operations/*.graphql + apps/api-gateway/schema.graphql
//                                                → libs/sdk/src/generated/graphql.ts (libs/sdk/codegen.yml)
//   proto   the protobuf messages and services   proto/ → libs/contracts/src/generated (buf.gen.yaml)
// `node scripts/generate.mjs` writes all of them; `node scripts/generate.mjs sdk proto` only those named;
// `--if-missing` only those whose output does not exist yet (what `npm run jest` runs: a fresh clone's
// tests compile, while an existing output is left for the build and checks below to refresh).
// scripts/build.mjs runs it before compiling, and `npm run typecheck` and `npm run lint` before checking,
// so `npm start`, `npm test`, `npm run bench` and both checks always see code that matches its schema.
// Every generator is in node_modules: nothing is downloaded.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const bin = join(root, 'node_modules/.bin');
const prismaCli = join(root, 'node_modules/prisma/build/index.js');

const generators = {
  prisma: {
    output: 'apps/api-gateway/src/generated/prisma',
    args: [prismaCli, 'generate', '--no-hints'],
    env: () => {
      // `prisma generate` needs no schema engine, but the CLI still tries to download one unless
      // PRISMA_SCHEMA_ENGINE_BINARY names an existing file, which it then never runs.
      const env = { PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
      if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(process.env.PRISMA_SCHEMA_ENGINE_BINARY)) env.PRISMA_SCHEMA_ENGINE_BINARY = prismaCli;
      return env;
    },
  },
  sdk: {
    // GraphQL Code Generator also validates every document against the schema: a schema change that
    // breaks an operation of the SDK fails here, before anything is compiled.
    output: 'libs/sdk/src/generated/graphql.ts',
    args: [join(root, 'node_modules/@graphql-codegen/cli/esm/bin.js'), '--config', 'libs/sdk/codegen.yml'],
    env: () => ({}),
  },
  proto: {
    // buf runs the protoc-gen-es plugin of node_modules/.bin by name.
    output: 'libs/contracts/src/generated',
    args: [join(bin, 'buf'), 'generate'],
    env: () => ({ PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` }),
  },
};

const args = process.argv.slice(2);
const ifMissing = args.includes('--if-missing');
const names = args.filter((arg) => arg !== '--if-missing');
const unknown = names.filter((name) => !(name in generators));
if (unknown.length > 0) {
  console.error(`generate: unknown generator ${unknown.join(', ')} (known: ${Object.keys(generators).join(', ')})`);
  process.exit(2);
}
// The generators are independent: they run side by side. Progress goes to stderr: stdout belongs to
// the caller (`npm pack --json` in libs/sdk runs this through prepack and prints its JSON there).
const selected = (names.length > 0 ? names : Object.keys(generators)).filter((name) => !ifMissing || !existsSync(join(root, generators[name].output)));
const results = await Promise.all(
  selected.map(
    (name) =>
      new Promise((done) => {
        const generator = generators[name];
        execFile(process.execPath, generator.args, { cwd: root, env: { ...process.env, ...generator.env() } }, (error, stdout, stderr) => {
          if (error) process.stderr.write(`generate: ${name} failed\n${stdout}${stderr || `${error.message}\n`}`);
          else process.stderr.write(`generate: ${name} written to ${generator.output}\n`);
          done(!error);
        });
      }),
  ),
);
if (results.includes(false)) process.exit(1);
