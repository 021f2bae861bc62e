import { readStackEnv } from '@sandbox/testing';
import { GitHttpServer } from './support/git-server';
import { expectGaplessAndTerminated, Platform, RunEventMessage } from './support/platform';

const TOKEN = `tok_${'s3cret'.repeat(3)}_${Date.now()}`;
const FILES = {
  'README.md': '# demo\n',
  'package.json': JSON.stringify({ name: 'demo', version: '1.0.0', scripts: { test: 'node test.js' } }, null, 2),
  'test.js': "console.log('tests ok');\n",
  Makefile: 'test:\n\tnode test.js\n',
};

/**
 * Runs end to end (docs/runs.md): the three services as processes, a dev-template sandbox cloning
 * from a git smart-HTTP server it reaches through the sandbox network rules (netns, TEST-NET-3).
 */
describe('runs: bootstrap from a repository', () => {
  const git = new GitHttpServer(TOKEN);
  const platform = new Platform({ 'api-gateway': { RUN_SWEEP_INTERVAL_MS: '1000' } });

  beforeAll(async () => {
    await git.up(process.env.SANDBOX_SUBNET ?? readStackEnv().SANDBOX_SUBNET ?? '172.30.0.0/16');
    git.createRepository('public/demo.git', FILES);
    git.createRepository('private/secret-app.git', { ...FILES, 'README.md': '# private\n' });
    await platform.start();
  }, 120_000);

  afterAll(async () => {
    try {
      await platform.stop();
    } finally {
      await git.destroy();
    }
  });

  const initRun = (input: Record<string, unknown>) =>
    platform.gql(`mutation($i: InitRunInput!) { initRun(input: $i) { session { id repoName repoUrl } run { id status pipeline } } }`, { i: input });

  it('should clone, detect and checkpoint "Imported demo", stream every event to early and late watchers, and revert in one call', async () => {
    const res = await initRun({ repoUrl: git.url('public/demo.git') });
    expect(res.errors).toBeUndefined();
    const { session, run } = res.data.initRun;
    expect(session).toMatchObject({ repoName: 'demo', repoUrl: git.url('public/demo.git') });
    expect(run).toMatchObject({ status: 'QUEUED', pipeline: 'bootstrap' });

    const live: RunEventMessage[] = [];
    const early = platform.watch(run.id, { onEvent: (m) => live.push(m) });
    const done = await platform.waitForRun(run.id, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 90_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', error: null, attempt: 1 });
    expect(done.result).toMatchObject({ repoName: 'demo', ref: 'main', commit: expect.stringMatching(/^[0-9a-f]{40}$/), detected: ['node', 'make'] });
    expect(done.resultCheckpoint).toMatchObject({ description: 'Imported demo', runId: run.id });
    expect(done.baseCheckpoint).toMatchObject({ commitHash: expect.stringMatching(/^[0-9a-f]{40}$/) });

    const files = await platform.exec(session.id, 'ls -A /workspace | sort');
    expect(files.stdout.split('\n').filter(Boolean)).toEqual(['.git', 'Makefile', 'README.md', 'package.json', 'test.js']);
    expect((await platform.exec(session.id, 'cat /workspace/README.md')).stdout).toBe('# demo\n');
    const checkpoints = await platform.gql(`query($s: ID!) { checkpoints(sessionId: $s) { description runId } }`, { s: session.id });
    expect(checkpoints.data.checkpoints).toContainEqual({ description: 'Imported demo', runId: run.id });

    const earlyEvents = await early;
    expectGaplessAndTerminated(earlyEvents);
    expect(earlyEvents.at(-1)?.event).toMatchObject({ type: 'COMPLETE', seq: done.lastSeq });
    expect(earlyEvents.filter((m) => m.event.type === 'STEP').map((m) => m.event.message)).toEqual(['Step 1/3: clone', 'Step 2/3: install', 'Step 3/3: checkpoint']);
    // A watcher that connects after the end gets the same events, once each, in order.
    const late = await platform.watch(run.id);
    expect(late.map((m) => m.event)).toEqual(earlyEvents.map((m) => m.event));
    const resumed = await platform.watch(run.id, { lastEventId: 3 });
    expect(resumed.map((m) => m.event.seq)).toEqual(earlyEvents.slice(3).map((m) => m.event.seq));

    const tests = await platform.gql(`mutation($s: ID!) { startRun(sessionId: $s, pipeline: "test") { id } }`, { s: session.id });
    const tested = await platform.waitForRun(tests.data.startRun.id, ['SUCCEEDED', 'FAILED'], 60_000);
    expect(tested).toMatchObject({ status: 'SUCCEEDED', result: { passed: true, exitCode: 0, command: 'npm test' } });

    const plan = await platform.gql(`mutation($s: ID!) { submitRunInput(sessionId: $s, input: "Add a CONTRIBUTING file") { id pipeline parentRunId } }`, { s: session.id });
    expect(plan.data.submitRunInput).toMatchObject({ pipeline: 'plan', parentRunId: tests.data.startRun.id });
    const planned = await platform.waitForRun(plan.data.submitRunInput.id, ['SUCCEEDED', 'FAILED'], 60_000);
    expect(planned).toMatchObject({ status: 'FAILED', error: 'No language model configured (set LLM_BASE_URL)' });

    const reverted = await platform.gql(`mutation($r: ID!) { revertRun(runId: $r) { commitHash description } }`, { r: run.id });
    expect(reverted.errors).toBeUndefined();
    expect(reverted.data.revertRun.description).toContain('Restored checkpoint');
    expect((await platform.exec(session.id, 'ls -A /workspace | grep -v "^.git$" | wc -l')).stdout.trim()).toBe('0');
  }, 240_000);

  it('should clone a private repository with a token used for that run only, found nowhere afterwards', async () => {
    const without = await initRun({ repoUrl: git.url('private/secret-app.git') });
    const failed = await platform.waitForRun(without.data.initRun.run.id, ['SUCCEEDED', 'FAILED'], 90_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/^The clone failed/);

    const res = await initRun({ repoUrl: git.url('private/secret-app.git'), token: TOKEN });
    expect(res.errors).toBeUndefined();
    const { session, run } = res.data.initRun;
    const done = await platform.waitForRun(run.id, ['SUCCEEDED', 'FAILED'], 90_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', error: null, result: { repoName: 'secret-app' } });
    expect(git.authorizations()).toContain(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
    expect((await platform.exec(session.id, 'cat /workspace/README.md')).stdout).toBe('# private\n');

    const events = await platform.watch(run.id);
    expectGaplessAndTerminated(events);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(JSON.stringify(done)).not.toContain(TOKEN);
    const row = await platform.gql(`query($id: ID!) { run(id: $id) { input result error } }`, { id: run.id });
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    const grep = await platform.exec(session.id, `grep -rF -- '${TOKEN}' /workspace; echo "exit $?"`);
    expect(grep.stdout.trim()).toBe('exit 1');
    expect(platform.output()).not.toContain(TOKEN);
    expect(platform.output()).not.toContain(encodeURIComponent(TOKEN));
  }, 240_000);
});
