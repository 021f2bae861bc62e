import { GatewaySessionStatus } from '@sandbox/contracts';
import { sourcesOf, TRANSITION_TARGET } from './session-transitions';

describe('session transitions', () => {
  const all = Object.values(GatewaySessionStatus);

  it('should start PENDING, STOPPED, PAUSED (a resume) and ERROR sessions (the manager reports a sandbox that runs), never re-start an ACTIVE one', () => {
    expect(sourcesOf('start').sort()).toEqual([GatewaySessionStatus.Pending, GatewaySessionStatus.Stopped, GatewaySessionStatus.Paused, GatewaySessionStatus.Error].sort());
  });

  it('should stop only ACTIVE and PAUSED sessions', () => {
    expect(sourcesOf('stop').sort()).toEqual([GatewaySessionStatus.Active, GatewaySessionStatus.Paused].sort());
  });

  it('should pause only ACTIVE sessions, or PENDING ones whose start was not heard', () => {
    expect(sourcesOf('pause').sort()).toEqual([GatewaySessionStatus.Pending, GatewaySessionStatus.Active].sort());
  });

  it('should fail a session from any status but ERROR itself', () => {
    expect(sourcesOf('error').sort()).toEqual(all.filter((s) => s !== GatewaySessionStatus.Error).sort());
  });

  it('should never list the target among the sources, so a repeated call changes nothing', () => {
    for (const transition of ['start', 'stop', 'pause', 'error'] as const) expect(sourcesOf(transition)).not.toContain(TRANSITION_TARGET[transition]);
  });
});
