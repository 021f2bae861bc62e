/** What the bootstrap found in a repository, and the commands it derives from that (docs/runs.md, bootstrap). */
export interface DetectedProject {
  /** e.g. ["node", "python", "make"] */
  kinds: string[];
  files: string[];
  installs: { kind: string; command: string }[];
  testCommand: string | null;
}

const NPM_NO_TEST = /no test specified/;

const objectOr = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/**
 * From the root's project files (`files`, tool availability as `tool:<name>`) and package.json's
 * content. Installs never run the repository's own scripts at import time (`--ignore-scripts`): the
 * bootstrap should finish in bounded time whatever the repository does; the agent or a pipeline can
 * run them later, in the same sandbox.
 */
export function detectProject(lines: string[], packageJson: string | null): DetectedProject {
  const files = lines.filter((line) => !line.startsWith('tool:'));
  const tools = new Set(lines.filter((line) => line.startsWith('tool:')).map((line) => line.slice(5)));
  const has = (file: string) => files.includes(file);
  const kinds: string[] = [];
  const installs: DetectedProject['installs'] = [];
  let testCommand: string | null = null;

  if (has('package.json')) {
    kinds.push('node');
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(packageJson ?? '{}');
    } catch {
      // unreadable: a Node project with nothing to install or test
    }
    // Any JSON may be in the repository's package.json: only objects are read.
    const pkg = objectOr(parsed);
    const dependencies = Object.keys(objectOr(pkg.dependencies)).length + Object.keys(objectOr(pkg.devDependencies)).length;
    if (dependencies > 0 && tools.has('npm')) {
      installs.push({ kind: 'node', command: `${has('package-lock.json') ? 'npm ci' : 'npm install'} --ignore-scripts --no-audit --no-fund` });
    }
    const test = objectOr(pkg.scripts).test;
    if (typeof test === 'string' && !NPM_NO_TEST.test(test)) testCommand = 'npm test';
  }
  if (has('requirements.txt') || has('pyproject.toml') || has('setup.py')) {
    kinds.push('python');
    if (tools.has('python3')) {
      const install = has('requirements.txt') ? '.venv/bin/pip install -r requirements.txt' : '.venv/bin/pip install -e .';
      installs.push({ kind: 'python', command: `python3 -m venv .venv && ${install}` });
    }
    testCommand ??= '(test -x .venv/bin/python && .venv/bin/python -m pytest) || python3 -m pytest';
  }
  if (has('go.mod')) {
    kinds.push('go');
    if (tools.has('go')) installs.push({ kind: 'go', command: 'go mod download' });
    testCommand ??= 'go test ./...';
  }
  if (has('Cargo.toml')) {
    kinds.push('rust');
    if (tools.has('cargo')) installs.push({ kind: 'rust', command: 'cargo fetch' });
    testCommand ??= 'cargo test';
  }
  if (has('Makefile')) {
    kinds.push('make');
    testCommand ??= 'make test';
  }
  return { kinds, files, installs, testCommand };
}
