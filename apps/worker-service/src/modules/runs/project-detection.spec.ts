import { detectProject } from './project-detection';

const ALL_TOOLS = ['tool:npm', 'tool:python3', 'tool:go', 'tool:cargo'];
const pkg = (value: unknown): string => JSON.stringify(value);

describe(detectProject.name, () => {
  it('should find nothing to install or test in a repository without project files', () => {
    expect(detectProject(['README.md', ...ALL_TOOLS], null)).toEqual({ kinds: [], files: ['README.md'], installs: [], testCommand: null });
  });

  it('should install a Node project with npm ci when it has a lockfile, npm install otherwise, never running its scripts', () => {
    const json = pkg({ dependencies: { express: '5' }, scripts: { test: 'jest' } });
    expect(detectProject(['package.json', 'package-lock.json', 'tool:npm'], json)).toMatchObject({
      kinds: ['node'],
      installs: [{ kind: 'node', command: 'npm ci --ignore-scripts --no-audit --no-fund' }],
      testCommand: 'npm test',
    });
    expect(detectProject(['package.json', 'tool:npm'], json).installs).toEqual([{ kind: 'node', command: 'npm install --ignore-scripts --no-audit --no-fund' }]);
  });

  it('should count devDependencies, and skip the install when the project declares none or npm is missing', () => {
    expect(detectProject(['package.json', 'tool:npm'], pkg({ devDependencies: { jest: '30' } })).installs).toHaveLength(1);
    expect(detectProject(['package.json', 'tool:npm'], pkg({ dependencies: {} })).installs).toEqual([]);
    expect(detectProject(['package.json'], pkg({ dependencies: { express: '5' } })).installs).toEqual([]);
  });

  it("should not take npm init's placeholder test script, nor a package.json it cannot read, as tests", () => {
    expect(detectProject(['package.json', 'tool:npm'], pkg({ scripts: { test: 'echo "Error: no test specified" && exit 1' } })).testCommand).toBeNull();
    expect(detectProject(['package.json', 'tool:npm'], pkg({ scripts: { test: 42 } })).testCommand).toBeNull();
    expect(detectProject(['package.json', 'tool:npm'], '{ not json')).toEqual({ kinds: ['node'], files: ['package.json'], installs: [], testCommand: null });
    expect(detectProject(['package.json', 'tool:npm'], null)).toMatchObject({ kinds: ['node'], installs: [], testCommand: null });
    for (const odd of ['null', '[]', '"text"', '7', pkg({ dependencies: null, scripts: null }), pkg({ dependencies: 'express' })]) {
      expect(detectProject(['package.json', 'tool:npm'], odd)).toMatchObject({ kinds: ['node'], installs: [], testCommand: null });
    }
  });

  it('should install Python projects in a virtual environment from requirements.txt, else the project itself', () => {
    expect(detectProject(['requirements.txt', 'tool:python3'], null)).toMatchObject({
      kinds: ['python'],
      installs: [{ kind: 'python', command: 'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt' }],
      testCommand: '(test -x .venv/bin/python && .venv/bin/python -m pytest) || python3 -m pytest',
    });
    for (const file of ['pyproject.toml', 'setup.py']) {
      expect(detectProject([file, 'tool:python3'], null).installs).toEqual([{ kind: 'python', command: 'python3 -m venv .venv && .venv/bin/pip install -e .' }]);
    }
    expect(detectProject(['pyproject.toml'], null)).toMatchObject({ kinds: ['python'], installs: [] });
  });

  it('should fetch Go and Rust dependencies only when the toolchain exists, and test with it', () => {
    expect(detectProject(['go.mod', 'tool:go'], null)).toMatchObject({ kinds: ['go'], installs: [{ kind: 'go', command: 'go mod download' }], testCommand: 'go test ./...' });
    expect(detectProject(['go.mod'], null)).toMatchObject({ installs: [], testCommand: 'go test ./...' });
    expect(detectProject(['Cargo.toml', 'tool:cargo'], null)).toMatchObject({ kinds: ['rust'], installs: [{ kind: 'rust', command: 'cargo fetch' }], testCommand: 'cargo test' });
    expect(detectProject(['Cargo.toml'], null)).toMatchObject({ installs: [], testCommand: 'cargo test' });
  });

  it('should detect a Makefile and test with make test when nothing else tests', () => {
    expect(detectProject(['Makefile'], null)).toEqual({ kinds: ['make'], files: ['Makefile'], installs: [], testCommand: 'make test' });
  });

  it('should report every kind of a mixed repository, install each, and prefer the first test command found', () => {
    const detected = detectProject(['Makefile', 'go.mod', 'package.json', 'requirements.txt', ...ALL_TOOLS], pkg({ dependencies: { a: '1' }, scripts: { test: 'node --test' } }));
    expect(detected.kinds).toEqual(['node', 'python', 'go', 'make']);
    expect(detected.installs.map((install) => install.kind)).toEqual(['node', 'python', 'go']);
    expect(detected.testCommand).toBe('npm test');
    expect(detectProject(['Makefile', 'go.mod', 'tool:go'], null).testCommand).toBe('go test ./...');
  });

  it('should keep tool markers out of the files it reports, and not mistake a tool for a file', () => {
    expect(detectProject(['tool:npm', 'tool:go'], null)).toEqual({ kinds: [], files: [], installs: [], testCommand: null });
    expect(detectProject(['src/package.json', 'docs/Makefile'], null).kinds).toEqual([]);
  });
});
