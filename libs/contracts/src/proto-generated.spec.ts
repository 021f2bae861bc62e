import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(__dirname, '../../..');
const COMMITTED = join(ROOT, 'libs/contracts/src/generated');

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return found;
}

/** The TypeScript generated from proto/ is committed: it must be exactly what `npm run proto:generate` writes now. */
describe('generated protobuf code', () => {
  it('should match proto/ (run `npm run proto:generate` after changing a .proto file)', () => {
    const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
    try {
      // buf.gen.yaml as it is, writing elsewhere: the committed files stay untouched.
      const template = parse(readFileSync(join(ROOT, 'buf.gen.yaml'), 'utf8')) as { plugins: { out: string }[] };
      for (const plugin of template.plugins) plugin.out = join(out, relative(COMMITTED, join(ROOT, plugin.out)));
      execFileSync(join(ROOT, 'node_modules/.bin/buf'), ['generate', '--template', JSON.stringify(template)], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` } });
      const fresh = files(out);
      expect(fresh.size).toBeGreaterThan(0);
      expect(files(COMMITTED)).toEqual(fresh);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
