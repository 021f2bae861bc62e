import { expectGaplessAndTerminated, Platform } from './support/platform';

/**
 * A run's life against the real stack (docs/runs.md): a user pipeline waiting for input and resumed,
 * a cancel that kills the command in flight, and a worker killed with SIGKILL mid-step then restarted
 * (the run resumes under a new attempt and ends once, with gapless events).
 */
describe('runs: input, cancel and a lost worker', () => {
  const platform = new Platform({ 'worker-service': { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' }, 'api-gateway': { RUN_SWEEP_INTERVAL_MS: '1000' } });
  let sessionId: string;

  beforeAll(async () => {
    await platform.start();
    sessionId = await platform.activeSession();
    const register = (name: string, steps: unknown[]) =>
      platform.gql(`mutation($i: RegisterPipelineInput!) { registerPipeline(input: $i) { name } }`, { i: { name, steps } });
    await register('ask', [
      { kind: 'exec', command: 'echo hello > greeting.txt' },
      { kind: 'input', name: 'confirm', prompt: 'Proceed?' },
      { kind: 'exec', name: 'finish', command: 'cat greeting.txt && echo done' },
    ]);
    await register('slow', [{ kind: 'exec', command: 'sleep 30 && touch /workspace/finished' }]);
    await register('resumable', [
      { kind: 'exec', name: 'first', command: 'sleep 4 && echo one >> log.txt' },
      { kind: 'exec', name: 'second', command: 'echo two >> log.txt' },
    ]);
  }, 120_000);

  afterAll(async () => {
    await platform.stop();
  });

  const startRun = async (pipeline: string): Promise<string> => {
    const res = await platform.gql(`mutation($s: ID!, $p: String!) { startRun(sessionId: $s, pipeline: $p) { id } }`, { s: sessionId, p: pipeline });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.startRun.id as string;
  };

  it('should wait in AWAITING_INPUT without a worker, then resume with the answer and succeed', async () => {
    const runId = await startRun('ask');
    await platform.waitForRun(runId, ['AWAITING_INPUT']);
    const task = await platform.gql<{ tasks: { tasks: { payload: { runId: string }; rawStatus: string }[] } }>(`query { tasks(type: "run.execute", limit: 100) { tasks { payload rawStatus } } }`);
    const ours = task.data?.tasks.tasks.filter((t) => t.payload.runId === runId) ?? [];
    expect(ours.map((t) => t.rawStatus)).toEqual(['completed']);
    const busy = await platform.gql(`mutation($s: ID!) { startRun(sessionId: $s, pipeline: "slow") { id } }`, { s: sessionId });
    expect(busy.errors?.[0]).toMatchObject({ message: `Session ${sessionId} already has an active run ${runId}`, extensions: { code: 'CONFLICT' } });

    const answered = await platform.gql(`mutation($s: ID!, $r: ID!) { submitRunInput(sessionId: $s, runId: $r, input: "yes") { id status } }`, { s: sessionId, r: runId });
    expect(answered.data.submitRunInput).toEqual({ id: runId, status: 'QUEUED' });
    const done = await platform.waitForRun(runId, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
    expect(done.result).toMatchObject({ steps: { confirm: { answer: 'yes' }, finish: { exitCode: 0, stdout: 'hello\ndone\n' } } });
    const events = await platform.watch(runId);
    expectGaplessAndTerminated(events);
    expect(events.filter((m) => m.event.type === 'INPUT_REQUIRED').map((m) => m.event.message)).toEqual(['Proceed?']);
  }, 90_000);

  it('should cancel mid-exec: CANCELLED at once with one ERROR event, and the command killed', async () => {
    const runId = await startRun('slow');
    await platform.untilEvent(runId, 'STEP');
    // The command is running in the sandbox before the cancel.
    for (let i = 0; i < 40 && !(await platform.exec(sessionId, 'ps -o args | grep -c "^sleep 30"')).stdout.trim().startsWith('1'); i++) await new Promise((r) => setTimeout(r, 250));
    const cancelled = await platform.gql(`mutation($r: ID!) { cancelRun(runId: $r) { status error } }`, { r: runId });
    expect(cancelled.data.cancelRun).toEqual({ status: 'CANCELLED', error: 'Run cancelled' });
    const events = await platform.watch(runId);
    expectGaplessAndTerminated(events);
    expect(events.at(-1)?.event).toMatchObject({ type: 'ERROR', message: 'Run cancelled' });
    let running = '1';
    for (let i = 0; i < 40 && running !== '0'; i++) {
      running = (await platform.exec(sessionId, 'ps -o args | grep -c "^sleep 30"')).stdout.trim();
      if (running !== '0') await new Promise((r) => setTimeout(r, 250));
    }
    expect(running).toBe('0');
    expect((await platform.exec(sessionId, 'test -e /workspace/finished; echo $?')).stdout.trim()).toBe('1');
    expect((await platform.waitForRun(runId, ['CANCELLED'])).status).toBe('CANCELLED');
  }, 90_000);

  it('should finish cleanly after the worker is killed with SIGKILL mid-step and restarted', async () => {
    const runId = await startRun('resumable');
    await platform.untilEvent(runId, 'STEP');
    await platform.restart('worker-service');
    const done = await platform.waitForRun(runId, ['SUCCEEDED', 'FAILED', 'CANCELLED'], 60_000);
    expect(['SUCCEEDED', 'FAILED']).toContain(done.status);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempt).toBeGreaterThanOrEqual(2);
    const events = await platform.watch(runId);
    expectGaplessAndTerminated(events);
    expect(events.some((m) => m.event.message.startsWith('attempt 2: resuming at step 1 of 2'))).toBe(true);
    // The interrupted first step ran again from the start; the second ran once.
    expect((await platform.exec(sessionId, 'cat /workspace/log.txt')).stdout).toMatch(/^(one\n)?one\ntwo\n$/);
  }, 90_000);
});
