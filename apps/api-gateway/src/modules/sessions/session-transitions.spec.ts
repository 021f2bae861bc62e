import { GatewaySessionStatus } from '@sandbox/contracts';
import { sourcesOf, TRANSITION_TARGET } from './session-transitions';

describe('session transitions', () => {
  const all = Object.values(GatewaySessionStatus);

  it('should start PENDING, STOPPED and ERROR sessions (the manager reports a sandbox that runs), never re-start an ACTIVE one', () => {
    expect(sourcesOf('start').sort()).toEqual([GatewaySessionStatus.Pending, GatewaySessionStatus.Stopped, GatewaySessionStatus.Error].sort());
  });

  it('should stop only ACTIVE sessions', () => {
    expect(sourcesOf('stop')).toEqual([GatewaySessionStatus.Active]);
  });

  it('should fail a session from any status but ERROR itself', () => {
    expect(sourcesOf('error').sort()).toEqual(all.filter((s) => s !== GatewaySessionStatus.Error).sort());
  });

  it('should never list the target among the sources, so a repeated call changes nothing', () => {
    for (const transition of ['start', 'stop', 'error'] as const) expect(sourcesOf(transition)).not.toContain(TRANSITION_TARGET[transition]);
  });
});
