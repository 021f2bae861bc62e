import { SandboxStatus } from '@sandbox/contracts';
import { FakeSessionsRepository } from '../../../test/support/fakes';
import { SessionActivity } from './session-activity';
import { SessionEvents } from './session-events';
import type { SessionsRepository } from './sessions.repository';

const ID = '0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d';

describe(SessionActivity.name, () => {
  const setup = () => {
    const sessions = new FakeSessionsRepository();
    const events = new SessionEvents();
    const activity = new SessionActivity(sessions as unknown as SessionsRepository, events);
    activity.onModuleInit();
    return { sessions, events, activity };
  };

  it('should keep a session busy until every request in flight has ended', () => {
    const { activity } = setup();
    activity.begin(ID);
    activity.hold(ID);
    activity.end(ID);
    expect(activity.busy(ID)).toBe(true);
    activity.release(ID);
    expect(activity.busy(ID)).toBe(false);
  });

  it('should write activity to the row at most every few seconds, and all of it at shutdown', () => {
    const { sessions, activity } = setup();
    const row = sessions.add(ID, SandboxStatus.Running);
    const t0 = Date.parse('2026-11-30T12:00:00.000Z');
    activity.touch(ID, t0);
    expect(sessions.find(ID)?.lastActivityAt).toBe(new Date(t0).toISOString());
    activity.touch(ID, t0 + 1_000);
    expect(sessions.find(ID)?.lastActivityAt).toBe(new Date(t0).toISOString());
    expect(activity.lastActivity(sessions.find(ID)!)).toBe(t0 + 1_000);
    expect(activity.lastActivityAt(sessions.find(ID)!)).toBe(new Date(t0 + 1_000).toISOString());
    activity.onApplicationShutdown();
    expect(sessions.find(ID)?.lastActivityAt).toBe(new Date(t0 + 1_000).toISOString());
    expect(row.sessionId).toBe(ID);
  });

  it('should count the start of the sandbox as activity, so a resumed or restarted session is not idle at once', () => {
    const { sessions, activity } = setup();
    const started = '2026-11-30T12:00:00.000Z';
    sessions.add(ID, SandboxStatus.Running, { startedAt: started, lastActivityAt: '2026-11-30T11:00:00.000Z' });
    expect(activity.lastActivity(sessions.find(ID)!)).toBe(Date.parse(started));
  });

  it('should know which sessions are paused from the rows at boot and from the lifecycle events', () => {
    const { sessions, events } = setup();
    sessions.add(ID, SandboxStatus.Paused);
    const activity = new SessionActivity(sessions as unknown as SessionsRepository, events);
    activity.onModuleInit();
    expect(activity.isPaused(ID)).toBe(true);
    events.emitLifecycle({ type: 'started', sessionId: ID });
    expect(activity.isPaused(ID)).toBe(false);
    events.emitLifecycle({ type: 'paused', sessionId: ID });
    expect(activity.isPaused(ID)).toBe(true);
    events.emitLifecycle({ type: 'deleted', sessionId: ID });
    expect(activity.isPaused(ID)).toBe(false);
  });
});
