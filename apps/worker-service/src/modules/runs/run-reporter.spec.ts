import type { GatewayClient } from '@sandbox/clients';
import { ServiceUnavailableError } from '@sandbox/clients';
import type { RunEventBatch } from '@sandbox/contracts';
import { ErrorCode, RunEventType, RunStatus } from '@sandbox/contracts';
import { RunReporter } from './run-reporter';

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A gateway whose event route answers only when the test says so, recording each batch as sent. */
function fakeGateway() {
  const sent: RunEventBatch[] = [];
  const answers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const calls: string[] = [];
  const gateway = {
    appendRunEvents: (_runId: string, batch: RunEventBatch) => {
      sent.push(structuredClone(batch));
      calls.push(`events ${batch.n}`);
      return new Promise<{ lastSeq: number; duplicate: boolean }>((resolve, reject) => answers.push({ resolve: () => resolve({ lastSeq: 0, duplicate: false }), reject }));
    },
    saveRunState: () => {
      calls.push('state');
      return Promise.resolve({});
    },
    finishRun: () => {
      calls.push('finish');
      return Promise.resolve({});
    },
  };
  /** Acknowledges the oldest unanswered batch and lets the reporter go on. */
  const ack = async () => {
    answers.shift()?.resolve();
    await turn();
    await turn();
  };
  return { gateway: gateway as unknown as GatewayClient, sent, calls, answers, ack };
}

describe(RunReporter.name, () => {
  it('should send the first event of a run at once, without waiting for more', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 1, []);
    reporter.emit(RunEventType.Step, 'Step 1/1: test');
    await turn();
    await turn();
    expect(fake.sent).toEqual([{ attempt: 1, n: 1, events: [{ type: RunEventType.Step, message: 'Step 1/1: test' }] }]);
  });

  it('should put events emitted in the same turn in one batch', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 1, []);
    reporter.emit(RunEventType.Step, 'Step 1/1: test');
    reporter.log('$ npm test');
    await turn();
    await turn();
    expect(fake.sent.map((b) => b.events.map((e) => e.message))).toEqual([['Step 1/1: test', '$ npm test']]);
  });

  it('should gather events while a batch is in flight and send them as the next batch once it is acknowledged', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 2, []);
    reporter.log('a');
    await turn();
    await turn();
    for (const m of ['b', 'c', 'd']) {
      reporter.log(m);
      await turn();
    }
    expect(fake.sent).toHaveLength(1);
    await fake.ack();
    expect(fake.sent.map((b) => [b.attempt, b.n, b.events.map((e) => e.message)])).toEqual([
      [2, 1, ['a']],
      [2, 2, ['b', 'c', 'd']],
    ]);
    await fake.ack();
    // Idle again: the next event goes at once.
    reporter.log('e');
    await turn();
    await turn();
    expect(fake.sent.map((b) => b.n)).toEqual([1, 2, 3]);
    expect(fake.sent[2].events.map((e) => e.message)).toEqual(['e']);
  });

  it('should keep batches at 100 events, numbered in order', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 1, []);
    reporter.log('first');
    await turn();
    for (let i = 0; i < 250; i++) reporter.log(`line ${i}`);
    const flushed = reporter.flush();
    while (fake.answers.length > 0) await fake.ack();
    await flushed;
    expect(fake.sent.map((b) => [b.n, b.events.length])).toEqual([
      [1, 1],
      [2, 100],
      [3, 100],
      [4, 50],
    ]);
    const messages = fake.sent.flatMap((b) => b.events.map((e) => e.message));
    expect(messages).toEqual(['first', ...Array.from({ length: 250 }, (_, i) => `line ${i}`)]);
  });

  it('should send a batch again under the same number when the gateway was unreachable', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 1, []);
    reporter.log('a');
    await turn();
    await turn();
    fake.answers.shift()?.reject(new ServiceUnavailableError(ErrorCode.ServiceUnavailable, 'api-gateway is unavailable', 'api-gateway', null, null));
    // The retry waits its backoff (400 ms) before sending again.
    while (fake.sent.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    await fake.ack();
    expect(fake.sent.map((b) => [b.n, b.events.map((e) => e.message)])).toEqual([
      [1, ['a']],
      [1, ['a']],
    ]);
  });

  it('should store every queued event before the state and the finish', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 1, []);
    reporter.log('a');
    await turn();
    reporter.log('b');
    const saved = reporter.saveState({ state: { stepIndex: 1, outputs: {} } });
    await turn();
    expect(fake.calls).toEqual(['events 1']);
    await fake.ack();
    await fake.ack();
    await saved;
    reporter.log('c');
    const finished = reporter.finish({ status: RunStatus.Succeeded });
    await turn();
    await fake.ack();
    await finished;
    expect(fake.calls).toEqual(['events 1', 'events 2', 'state', 'events 3', 'finish']);
  });

  it('should send nothing more once closed', async () => {
    const fake = fakeGateway();
    const reporter = new RunReporter(fake.gateway, 'run-1', 1, []);
    reporter.log('a');
    await turn();
    await turn();
    reporter.log('b');
    reporter.close();
    await fake.ack();
    await turn();
    expect(fake.sent.map((b) => b.n)).toEqual([1]);
  });
});
