import { ScriptedModelServer, startScriptedModelServer } from '@sandbox/testing';
import { expectGaplessAndTerminated, Platform } from './support/platform';

/**
 * A conversation across runs (docs/runs.md, Continuations): a `plan` run talks with the model (a real
 * OpenAI-compatible server scripted by the test, which records what it is sent), then submitRunInput
 * on the finished run starts a continuation whose model request holds the first run's turns and the
 * new input, through the three real services.
 */
describe('runs: a continuation carries the conversation on', () => {
  let model: ScriptedModelServer;
  let platform: Platform;
  let sessionId: string;

  beforeAll(async () => {
    model = await startScriptedModelServer([
      { content: 'Looking first.', toolCalls: [{ name: 'exec', arguments: { command: 'echo first-run-output' } }] },
      { content: 'First run done: I listed what is there.' },
      { content: 'Did X as asked.' },
    ]);
    platform = new Platform({ 'worker-service': { LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'scripted', LLM_MAX_RETRIES: '0' } });
    await platform.start();
    sessionId = await platform.activeSession();
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await model?.stop();
  });

  it('should send the model the first run messages and the new input as the next user message', async () => {
    const started = await platform.gql(`mutation($s: ID!) { startRun(sessionId: $s, pipeline: "plan", input: "Look at the workspace") { id } }`, { s: sessionId });
    const firstId = started.data.startRun.id as string;
    const first = await platform.waitForRun(firstId, ['SUCCEEDED', 'FAILED']);
    expect(first).toMatchObject({ status: 'SUCCEEDED', result: { steps: { plan: { summary: 'First run done: I listed what is there.' } } } });
    expect(model.requests).toHaveLength(2);

    const next = await platform.gql(`mutation($s: ID!) { submitRunInput(sessionId: $s, input: "now do X") { id pipeline parentRunId status } }`, { s: sessionId });
    expect(next.data.submitRunInput).toMatchObject({ pipeline: 'plan', parentRunId: firstId, status: 'QUEUED' });
    const second = await platform.waitForRun(next.data.submitRunInput.id as string, ['SUCCEEDED', 'FAILED']);
    expect(second).toMatchObject({ status: 'SUCCEEDED', result: { steps: { plan: { summary: 'Did X as asked.', turns: 1 } } } });
    expectGaplessAndTerminated(await platform.watch(second.id as string));

    expect(model.requests).toHaveLength(3);
    const earlier = model.messagesOf(1);
    const sent = model.messagesOf(2);
    // The first run's whole conversation (system prompt, its input, the tool call and its real output,
    // the final answer), then the new input: nothing dropped, nothing repeated.
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(sent.slice(0, 4)).toEqual(earlier);
    expect(sent[1]).toMatchObject({ role: 'user', content: 'Look at the workspace' });
    expect(String(sent[3].content)).toContain('first-run-output');
    expect(sent[4]).toMatchObject({ role: 'assistant', content: 'First run done: I listed what is there.' });
    expect(sent[5]).toEqual({ role: 'user', content: 'now do X' });
  }, 120_000);
});
