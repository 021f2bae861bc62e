#!/usr/bin/env node
// Compiles the TypeScript sources of the apps and libs to CommonJS under dist/ with SWC,
// rewriting the @sandbox/* path aliases to relative imports so plain `node` can run the output.
// Type checking is separate (`npm run typecheck`).
import { transformFile } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'dist');
// `bench`, `libs/testing` and the test support files benchmarks share with the tests (apps/*/test/support,
// never compiled into an app's own tree) are compiled too: `npm run bench` runs from dist/bench.
const sources = [
  'libs/contracts/src',
  'libs/clients/src',
  'libs/shared/src',
  'libs/testing/src',
  'apps/api-gateway/src',
  'apps/worker-service/src',
  'apps/container-manager/src',
  'apps/container-manager/test/support',
  'bench',
];

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !/\.(int-)?spec\.ts$/.test(entry.name)) yield full;
  }
}

// The SWC options the tests compile with too, from the one place they are written.
const swc = JSON.parse(await readFile(join(root, 'swc.options.json'), 'utf8'));
const options = {
  ...swc,
  jsc: {
    ...swc.jsc,
    baseUrl: root,
    // The @sandbox/* aliases, from the one place they are written.
    paths: JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths,
  },
  sourceMaps: true,
};

const started = Date.now();
// The generated TypeScript (gitignored: the Prisma client, the SDK's typed documents, the protobuf code)
// comes first, so it is compiled too.
const generated = spawnSync(process.execPath, [join(root, 'scripts/generate.mjs')], { stdio: 'inherit' });
if (generated.status !== 0) process.exit(generated.status ?? 1);
await rm(out, { recursive: true, force: true });
let count = 0;
for (const source of sources) {
  for await (const file of walk(join(root, source))) {
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    const result = await transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(target), file) });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, `${result.code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
    if (result.map) await writeFile(`${target}.map`, result.map);
    count++;
  }
}
// The SDK and CLI (libs/sdk) are an ES module package of their own, compiled with tsc to libs/sdk/dist
// (declarations included), exactly as `npm pack` publishes them; the root package's `sandbox` bin runs it.
const sdk = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'libs/sdk/tsconfig.build.json')], { stdio: 'inherit' });
if (sdk.status !== 0) process.exit(sdk.status ?? 1);
// The web console (apps/console): Vite bundles it, with the SDK, into dist/console, served by the gateway at /console.
const consoleBuild = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'apps/console/vite.config.mts')], { stdio: 'inherit' });
if (consoleBuild.status !== 0) process.exit(consoleBuild.status ?? 1);
console.log(`build: ${count} files compiled to dist/, libs/sdk to libs/sdk/dist and the console to dist/console, in ${Date.now() - started} ms`);
