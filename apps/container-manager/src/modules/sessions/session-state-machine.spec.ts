import { SandboxStatus } from '@sandbox/contracts';
import { newStateMachine } from '../../../test/support/fakes';
import { canTransition, SESSION_TRANSITIONS, SessionStateMachine } from './session-state-machine';

const { Creating, Running, Paused, Stopped, Error, Removed } = SandboxStatus;
const ID = '0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d';

describe(SessionStateMachine.name, () => {
  it('should allow exactly the lifecycle of a sandbox and nothing out of removed', () => {
    const allowed = Object.values(SandboxStatus).flatMap((from) => Object.values(SandboxStatus).filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        'creating→running',
        'creating→error',
        'creating→removed',
        'running→running',
        'running→paused',
        'running→stopped',
        'paused→running',
        'paused→stopped',
        'paused→error',
        'paused→removed',
        'running→error',
        'running→removed',
        'stopped→running',
        'stopped→error',
        'stopped→removed',
        'error→running',
        'error→error',
        'error→removed',
      ].sort(),
    );
    expect(SESSION_TRANSITIONS[Removed]).toEqual([]);
  });

  it('should record a start with its container, clear an earlier failure and tell the gateway and the modules', () => {
    const { machine, sessions, outbox, emitted } = newStateMachine();
    sessions.add(ID, Error, { errorReason: 'sandbox failed to start: boom' });
    const record = machine.transition(ID, Running, { containerId: 'c1' });
    expect(record).toMatchObject({ status: Running, containerId: 'c1', errorReason: null });
    expect(outbox.messages).toEqual([{ type: 'session.started', sessionId: ID }]);
    expect(emitted).toEqual([{ type: 'started', sessionId: ID }]);
  });

  it('should keep the reason of a failure on the row, in the gateway message and in the event', () => {
    const { machine, sessions, outbox, emitted } = newStateMachine();
    sessions.add(ID, Running, { containerId: 'c1' });
    machine.transition(ID, Error, { reason: 'sandbox container vanished' });
    expect(sessions.find(ID)).toMatchObject({ status: Error, errorReason: 'sandbox container vanished', containerId: 'c1' });
    expect(outbox.messages).toEqual([{ type: 'session.error', sessionId: ID, reason: 'sandbox container vanished' }]);
    expect(emitted).toEqual([{ type: 'error', sessionId: ID, reason: 'sandbox container vanished' }]);
  });

  it('should record a stop as stopped and tell both sides', () => {
    const { machine, sessions, outbox, emitted } = newStateMachine();
    sessions.add(ID, Running, { containerId: 'c1' });
    expect(machine.transition(ID, Stopped).status).toBe(Stopped);
    expect(outbox.messages).toEqual([{ type: 'session.stopped', sessionId: ID }]);
    expect(emitted).toEqual([{ type: 'stopped', sessionId: ID }]);
  });

  it('should record a pause with its time, tell the gateway, and keep the start time across the resume', () => {
    const { machine, sessions, outbox, emitted } = newStateMachine();
    sessions.add(ID, Stopped);
    const started = machine.transition(ID, Running, { containerId: 'c1' }).startedAt;
    expect(started).not.toBeNull();
    const paused = machine.transition(ID, Paused);
    expect(paused).toMatchObject({ status: Paused, startedAt: started });
    expect(paused.pausedAt).not.toBeNull();
    expect(machine.transition(ID, Running)).toMatchObject({ status: Running, startedAt: started, pausedAt: null });
    expect(outbox.messages.map((m) => m.type)).toEqual(['session.started', 'session.paused', 'session.started']);
    expect(emitted.map((e) => e.type)).toEqual(['started', 'paused', 'started']);
    expect(machine.transition(ID, Stopped)).toMatchObject({ startedAt: null, pausedAt: null });
  });

  it('should refuse to pause a session that does not run', () => {
    const { machine, sessions } = newStateMachine();
    sessions.add(ID, Stopped);
    expect(() => machine.transition(ID, Paused)).toThrow(`Session ${ID} cannot do this while stopped`);
  });

  it('should write the tombstone of a delete without a gateway message or an event', () => {
    const { machine, sessions, outbox, emitted } = newStateMachine();
    sessions.add(ID, Error, { errorReason: 'kept for the record' });
    machine.transition(ID, Removed);
    expect(sessions.find(ID)).toMatchObject({ status: Removed, errorReason: 'kept for the record' });
    expect(outbox.messages).toEqual([]);
    expect(emitted).toEqual([]);
  });

  it.each([
    [Stopped, Stopped],
    [Creating, Stopped],
    [Removed, Running],
    [Removed, Error],
  ])('should refuse %s → %s with a 409 and change nothing', (from, to) => {
    const { machine, sessions, outbox, emitted } = newStateMachine();
    const before = sessions.add(ID, from);
    expect(() => machine.transition(ID, to)).toThrow(`Session ${ID} cannot do this while ${from}`);
    expect(sessions.find(ID)).toEqual(before);
    expect(outbox.messages).toEqual([]);
    expect(emitted).toEqual([]);
  });

  it('should answer 404 for a session it has no row of', () => {
    const { machine } = newStateMachine();
    expect(() => machine.transition(ID, Running)).toThrow(`Session ${ID} not found`);
  });

  it('should run the lifecycle operations of one session one at a time', async () => {
    const { machine } = newStateMachine();
    const order: string[] = [];
    let release!: () => void;
    const first = machine.exclusive(ID, async () => {
      order.push('first:start');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first:end');
    });
    const second = machine.exclusive(ID, async () => void order.push('second'));
    const other = machine.exclusive('another', async () => void order.push('other session'));
    await other;
    expect(order).toEqual(['first:start', 'other session']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first:start', 'other session', 'first:end', 'second']);
  });
});
