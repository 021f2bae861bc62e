import { checkRepositoryUrl, isValidRef, MAX_PIPELINE_STEPS, pipelineStepProblems, repositoryName, RunMessages } from './runs';

const unsupported = (repoUrl: string) => ({ ok: false, message: RunMessages.unsupportedRepoUrl(repoUrl) });
const credentials = { ok: false, message: RunMessages.credentialsInRepoUrl };

describe('repository URLs', () => {
  it.each([
    ['https://github.com/acme/widgets.git', 'widgets'],
    ['https://github.com/acme/widgets', 'widgets'],
    ['https://github.com/acme/widgets/', 'widgets'],
    ['https://github.com/acme/widgets.git/', 'widgets'],
    ['HTTPS://GitHub.com/acme/Widgets.GIT', 'Widgets'],
    ['https://gitlab.example.com/group/sub/project.git', 'project'],
    ['https://git.example.com:8443/acme/api.git', 'api'],
    ['http://10.0.0.5/repos/plain', 'plain'],
    ['http://git.example.com:8080/plain.git', 'plain'],
    ['https://[2001:db8::1]/acme/v6.git', 'v6'],
    ['ssh://git@git.example.com:2222/acme/api.git', 'api'],
    ['ssh://git.example.com/acme/api.git', 'api'],
    ['ssh://git@git.example.com/~user/dotfiles.git', 'dotfiles'],
    ['git@github.com:acme/tools.git', 'tools'],
    ['git@github.com:tools', 'tools'],
    ['deploy_bot@git.example.com:team/app.v2.git', 'app.v2'],
  ])('should accept %s and name it %s', (repoUrl, name) => {
    expect(checkRepositoryUrl(repoUrl)).toEqual({ ok: true, name });
  });

  it.each([
    // other schemes and transports
    'file:///etc/passwd',
    'file://host/srv/repo.git',
    'ftp://example.com/x.git',
    'git://example.com/x.git',
    'HTTPS:/example.com/x.git',
    'ext::sh -c touch% /tmp/pwned',
    'ext::ssh -oProxyCommand=x host',
    'fd::17',
    // local paths
    '/tmp/x',
    './repo',
    '../repo',
    'repo',
    'C:\\repos\\x',
    '~/repo.git',
    // options git would read
    '--upload-pack=touch /tmp/pwned',
    '-oProxyCommand=x',
    'git@host:-oProxyCommand=touch /tmp/pwned',
    'ssh://-oProxyCommand=touch/x.git',
    'ssh://-user@host/x.git',
    'https://-evil.example.com/x.git',
    '-@host:x',
    // no path, query, fragment
    'https://example.com/',
    'https://example.com',
    'git@host:',
    'https://example.com/x.git?ref=main',
    'https://example.com/x.git#main',
    // whitespace and control characters
    'https://example.com/a b.git',
    ' https://example.com/x.git',
    'https://example.com/x.git\n',
    'https://example.com/x\u0000.git',
    'https://example.com/x\u007f.git',
    // length and emptiness
    '',
    `https://example.com/${'a'.repeat(2_048)}.git`,
  ])('should refuse %j as an unsupported repository URL', (repoUrl) => {
    expect(checkRepositoryUrl(repoUrl)).toEqual(unsupported(repoUrl));
  });

  it.each([
    'https://user:s3cr3t-pw@git.example.com/acme/x.git',
    'https://ghp_token0123456789@git.example.com/acme/x.git',
    'http://user:s3cr3t-pw@10.0.0.5/x.git',
    'ssh://git:s3cr3t-pw@git.example.com/acme/x.git',
  ])('should refuse the credentials of %s without repeating them', (repoUrl) => {
    const check = checkRepositoryUrl(repoUrl);
    expect(check).toEqual(credentials);
    expect(JSON.stringify(check)).not.toMatch(/s3cr3t|ghp_token/);
  });

  it.each([
    'ftp://user:s3cr3t-pw@example.com/x.git',
    'https://user:s3cr3t-pw@example.com/a b.git',
    'https://user:s3cr3t-pw@example.com/',
    'https://user:s3cr3t-pw@-evil.example.com/x.git',
    'user:s3cr3t-pw@example.com:acme/x.git',
  ])('should never repeat a password in the refusal of %s', (repoUrl) => {
    const check = checkRepositoryUrl(repoUrl);
    expect(check.ok).toBe(false);
    expect(JSON.stringify(check)).not.toContain('s3cr3t-pw');
  });

  it('should name a repository by its last path segment without .git, or "repository" when unusable', () => {
    expect(repositoryName('/org/name.git')).toBe('name');
    expect(repositoryName('/org/name.GIT/')).toBe('name');
    expect(repositoryName('org:name')).toBe('name');
    expect(repositoryName('/org/.git')).toBe('repository');
    expect(repositoryName('/org/..')).toBe('repository');
    expect(repositoryName('/org/na me')).toBe('repository');
    expect(repositoryName(`/org/${'x'.repeat(101)}`)).toBe('repository');
  });
});

describe('refs', () => {
  it.each(['main', 'release/1.2', 'v1.0.0', 'feature/x_y', 'a+b', '0abc', '_private', 'HEAD', 'deps/bump-foo-1.2.3'])('should accept %s', (ref) => {
    expect(isValidRef(ref)).toBe(true);
  });

  it.each([
    '',
    '-b',
    '--upload-pack=x',
    '.hidden',
    '/abs',
    'a..b',
    'a//b',
    'a/',
    'a.',
    'x.lock',
    'feature/.x',
    'feature/x.lock/y',
    'a@{1}',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a\\b',
    'a*',
    'a?',
    'a[',
    'a\nb',
    'x'.repeat(201),
  ])('should refuse %j', (ref) => {
    expect(isValidRef(ref)).toBe(false);
  });
});

describe('pipeline steps', () => {
  it('should accept a pipeline using every user step kind with every field', () => {
    expect(
      pipelineStepProblems([
        { kind: 'exec', name: 'build', command: 'npm run build', cwd: 'app', env: { NODE_ENV: 'production' }, timeoutMs: 600_000, continueOnError: true },
        { kind: 'exec', command: ['npm', 'test'] },
        { kind: 'checkpoint', description: 'Built {repoName}' },
        { kind: 'agent', instructions: 'Fix the tests', maxTurns: 200, tools: ['exec', 'read_file'], mcpServers: [{ name: 'docs', url: 'https://mcp.example.com/mcp' }] },
        { kind: 'input', prompt: 'Deploy?' },
        { kind: 'task', type: 'sandbox.exec', payload: { command: 'id' }, timeoutMs: 3_600_000, continueOnError: false },
      ]),
    ).toEqual([]);
  });

  it.each([
    [null, 'steps must be a non-empty array'],
    [{}, 'steps must be a non-empty array'],
    [[], 'steps must be a non-empty array'],
    [Array.from({ length: MAX_PIPELINE_STEPS + 1 }, () => ({ kind: 'checkpoint' })), `steps must hold at most ${MAX_PIPELINE_STEPS} steps`],
    [['exec'], 'steps[0] must be an object'],
    [[{ kind: 'shell', command: 'x' }], 'steps[0].kind must be one of exec, checkpoint, agent, input, task'],
    [[{ kind: 'clone' }], 'steps[0].kind must be one of exec, checkpoint, agent, input, task'],
    [[{ command: 'x' }], 'steps[0].kind must be one of exec, checkpoint, agent, input, task'],
    [[{ kind: 'exec', name: '', command: 'x' }], 'steps[0].name must be a non-empty string of at most 100 characters'],
    [[{ kind: 'exec' }], 'steps[0].command is required (a non-empty string or an array of strings)'],
    [[{ kind: 'exec', command: '  ' }], 'steps[0].command must be a non-empty string or an array of strings'],
    [[{ kind: 'exec', command: [] }], 'steps[0].command must be a non-empty string or an array of strings'],
    [[{ kind: 'exec', command: ['ls', 1] }], 'steps[0].command must be a non-empty string or an array of strings'],
    [[{ kind: 'exec', command: 'x', timeoutMs: 0 }], 'steps[0].timeoutMs must be an integer from 1 to 600000'],
    [[{ kind: 'exec', command: 'x', timeoutMs: 600_001 }], 'steps[0].timeoutMs must be an integer from 1 to 600000'],
    [[{ kind: 'exec', command: 'x', timeoutMs: 1.5 }], 'steps[0].timeoutMs must be an integer from 1 to 600000'],
    [[{ kind: 'exec', command: 'x', env: { 'BAD-NAME': 'v' } }], 'steps[0].env must be an object of string values'],
    [[{ kind: 'exec', command: 'x', env: { A: 1 } }], 'steps[0].env must be an object of string values'],
    [[{ kind: 'exec', command: 'x', continueOnError: 'yes' }], 'steps[0].continueOnError must be a boolean'],
    [[{ kind: 'exec', command: 'x', shell: '/bin/bash' }], 'steps[0].shell is not a field of a exec step'],
    [[{ kind: 'checkpoint', description: 'x'.repeat(2_001) }], 'steps[0].description must be a string of at most 2000 characters'],
    [[{ kind: 'agent', instructions: '' }], 'steps[0].instructions must be a non-empty string'],
    [[{ kind: 'agent', maxTurns: 201 }], 'steps[0].maxTurns must be an integer from 1 to 200'],
    [[{ kind: 'agent', tools: 'exec' }], 'steps[0].tools must be an array of tool names'],
    [[{ kind: 'agent', mcpServers: [{ name: 'x', url: 'file:///etc/passwd' }] }], 'steps[0].mcpServers must be an array of { name, url } (http or https)'],
    [[{ kind: 'agent', mcpServers: [{ name: 'x', url: 'https://mcp.example.com', token: 't' }] }], 'steps[0].mcpServers must be an array of { name, url } (http or https)'],
    [[{ kind: 'agent', mcpServers: Array.from({ length: 11 }, (_, i) => ({ name: `s${i}`, url: 'https://mcp.example.com' })) }], 'steps[0].mcpServers must be an array of { name, url } (http or https)'],
    [[{ kind: 'input' }], 'steps[0].prompt is required (a non-empty string)'],
    [[{ kind: 'input', prompt: 'x', extra: 1 }], 'steps[0].extra is not a field of a input step'],
    [[{ kind: 'task' }], 'steps[0].type is required (a task type)'],
    [[{ kind: 'task', type: 'run.execute' }], 'steps[0].type run.execute cannot run as a pipeline step'],
    [[{ kind: 'task', type: 'sessions.stop-idle' }], 'steps[0].type sessions.stop-idle cannot run as a pipeline step'],
    [[{ kind: 'task', type: 'sandbox.exec', payload: { sessionId: 'x', command: 'id' } }], 'steps[0].payload.sessionId is set by the run (its session)'],
    [[{ kind: 'task', type: 'sandbox.exec', payload: [] }], 'steps[0].payload must be an object'],
  ])('should refuse %j: %s', (steps, problem) => {
    expect(pipelineStepProblems(steps)).toEqual([problem]);
  });

  it('should name every problem of every step, by index', () => {
    expect(pipelineStepProblems([{ kind: 'checkpoint' }, { kind: 'exec', timeoutMs: -1 }, { kind: 'input', prompt: 'ok', name: 7 }])).toEqual([
      'steps[1].command is required (a non-empty string or an array of strings)',
      'steps[1].timeoutMs must be an integer from 1 to 600000',
      'steps[2].name must be a non-empty string of at most 100 characters',
    ]);
  });
});
