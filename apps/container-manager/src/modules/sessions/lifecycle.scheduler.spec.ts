import { SandboxStatus } from '@sandbox/contracts';
import { FakeSessionsRepository } from '../../../test/support/fakes';
import { dueAction, LifecycleScheduler } from './lifecycle.scheduler';

const ID = '0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d';
const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const settings = { idleTimeoutMs: 60_000, pausedStopMs: 600_000, maxLifetimeMs: 3_600_000 };

describe(LifecycleScheduler.name, () => {
  const sessions = new FakeSessionsRepository();
  const running = (startedAgoMs: number) => sessions.add(ID, SandboxStatus.Running, { startedAt: ago(startedAgoMs) });

  it('should pause a running session idle for its idle timeout, and not a moment before', () => {
    expect(dueAction(running(120_000), settings, NOW - 60_000, false, NOW)).toEqual({ action: 'pause', why: 'idle' });
    expect(dueAction(running(120_000), settings, NOW - 59_999, false, NOW)).toBeNull();
  });

  it('should never pause a session with a request in flight, however long ago its last activity', () => {
    expect(dueAction(running(120_000), settings, NOW - 100_000, true, NOW)).toBeNull();
  });

  it('should stop a session paused for its paused timeout, counted from the stored pause time', () => {
    const paused = sessions.add(ID, SandboxStatus.Paused, { startedAt: ago(700_000), pausedAt: ago(600_000) });
    expect(dueAction(paused, settings, 0, false, NOW)).toEqual({ action: 'stop', why: 'paused too long' });
    expect(dueAction({ ...paused, pausedAt: ago(599_000) }, settings, 0, false, NOW)).toBeNull();
  });

  it('should stop a session at its max lifetime however busy, counted from the stored start', () => {
    expect(dueAction(running(3_600_000), settings, NOW, true, NOW)).toEqual({ action: 'stop', why: 'max lifetime' });
    expect(dueAction(running(3_599_000), settings, NOW, true, NOW)).toBeNull();
  });

  it('should turn each deadline off with 0', () => {
    const off = { idleTimeoutMs: 0, pausedStopMs: 0, maxLifetimeMs: 0 };
    expect(dueAction(running(99_999_999), off, 0, false, NOW)).toBeNull();
    expect(dueAction(sessions.add(ID, SandboxStatus.Paused, { startedAt: ago(99_999_999), pausedAt: ago(99_999_999) }), off, 0, false, NOW)).toBeNull();
  });

  it('should leave sessions that do not run alone', () => {
    for (const status of [SandboxStatus.Creating, SandboxStatus.Stopped, SandboxStatus.Error, SandboxStatus.Removed]) {
      expect(dueAction(sessions.add(ID, status, { startedAt: ago(99_999_999) }), settings, 0, false, NOW)).toBeNull();
    }
  });
});
