import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@sandbox/testing';

const SDK_DIR = join(REPO_ROOT, 'libs/sdk');
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The SDK as a user gets it: `npm pack`, installed from the tarball into an empty project, imported, typed, run. */
describe('@sandbox/sdk package', () => {
  const packDir = mkdtempSync(join(tmpdir(), 'sdk-pack-'));
  const consumer = mkdtempSync(join(tmpdir(), 'sdk-consumer-'));
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', packDir], SDK_DIR)) as { filename: string; files: { path: string }[] }[];
    tarball = join(packDir, packed.filename);
    files = packed.files.map((file) => file.path);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], consumer);
  }, 180_000);

  afterAll(() => {
    rmSync(packDir, { recursive: true, force: true });
    rmSync(consumer, { recursive: true, force: true });
  });

  it('should pack the built module, its declarations, the CLI and the README, and no sources or tests', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/generated/graphql.js']));
    expect(files.filter((path) => !path.startsWith('dist/') && !['package.json', 'README.md'].includes(path))).toEqual([]);
  });

  it('should import from the installed tarball with no workspace-only import', () => {
    const script = "import { SandboxClient, NotFoundError, SandboxError, graphql } from '@sandbox/sdk'; " +
      "const c = new SandboxClient({ apiKey: 'sk_x' }); " +
      "console.log(JSON.stringify([typeof c.exec, c.apiUrl, new NotFoundError('m', 'NOT_FOUND') instanceof SandboxError, String(graphql.SessionDocument).includes('query Session')]));";
    expect(JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], consumer))).toEqual(['function', 'http://localhost:4000', true, true]);
  });

  it('should give a TypeScript user the typed API from the declarations', () => {
    writeFileSync(
      join(consumer, 'use.ts'),
      [
        "import { SandboxClient, type Session } from '@sandbox/sdk';",
        "const client = new SandboxClient({ apiKey: 'sk_x' });",
        "export async function f(): Promise<number | null> { const s: Session = await client.sessions.create({ template: 'dev' }); return (await client.exec(s.id, 'true')).exitCode; }",
        // A wrong argument must be a type error: the declarations carry the schema's types.
        "// @ts-expect-error port is a number\nexport const g = () => client.previews.register('id', '3000');",
      ].join('\n'),
    );
    // A browser-like project: DOM types, no Node types.
    const compilerOptions = { noEmit: true, strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], types: [] };
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['use.ts'] }));
    run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], consumer);
  });

  it('should install the sandbox command', () => {
    expect(run(join(consumer, 'node_modules/.bin/sandbox'), ['--help'], consumer)).toContain('Usage: sandbox [options] [command]');
  });
});
