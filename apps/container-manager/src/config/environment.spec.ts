import { InvalidEnvironmentError, validateEnvironment } from '@sandbox/shared';
import { ManagerEnvironment } from './environment';

const valid = { INTERNAL_SERVICE_KEY: 'a-long-enough-internal-key', DATA_DIR: '/var/lib/sandbox' };

describe(ManagerEnvironment.name, () => {
  it('should keep delivered outbox rows for 24 hours and prune every 5 minutes by default', () => {
    const env = validateEnvironment(ManagerEnvironment, valid);
    expect(env.OUTBOX_RETENTION_MS).toBe(86_400_000);
    expect(env.OUTBOX_PRUNE_INTERVAL_MS).toBe(300_000);
  });

  it('should accept a retention of 0 (prune right after delivery)', () => {
    expect(validateEnvironment(ManagerEnvironment, { ...valid, OUTBOX_RETENTION_MS: '0' }).OUTBOX_RETENTION_MS).toBe(0);
  });

  it('should give every workspace a 1024 MB filesystem by default, and accept 0 (no quota)', () => {
    expect(validateEnvironment(ManagerEnvironment, valid).WORKSPACE_QUOTA_MB).toBe(1_024);
    expect(validateEnvironment(ManagerEnvironment, { ...valid, WORKSPACE_QUOTA_MB: '0' }).WORKSPACE_QUOTA_MB).toBe(0);
    expect(validateEnvironment(ManagerEnvironment, { ...valid, WORKSPACE_QUOTA_MB: '32' }).WORKSPACE_QUOTA_MB).toBe(32);
  });

  it.each([
    ['WORKSPACE_QUOTA_MB', '-1'],
    ['WORKSPACE_QUOTA_MB', '8'],
    ['WORKSPACE_QUOTA_MB', '1.5'],
    ['WORKSPACE_QUOTA_MB', '1g'],
    ['WORKSPACE_QUOTA_MB', '1048577'],
    ['OUTBOX_RETENTION_MS', '-1'],
    ['OUTBOX_RETENTION_MS', '1d'],
    ['OUTBOX_RETENTION_MS', '1.5'],
    ['OUTBOX_RETENTION_MS', '315360000001'],
    ['OUTBOX_PRUNE_INTERVAL_MS', '99'],
    ['OUTBOX_PRUNE_INTERVAL_MS', 'often'],
    // setInterval would silently turn a delay above 2^31-1 into 1 ms.
    ['OUTBOX_PRUNE_INTERVAL_MS', '2147483648'],
    ['BWRAP_BINARY', 'bwrap'],
    ['BWRAP_BINARY', '/usr/bin/bw rap'],
  ])('should refuse to boot naming %s when it is %s', (variable, value) => {
    const attempt = () => validateEnvironment(ManagerEnvironment, { ...valid, [variable]: value });
    expect(attempt).toThrow(InvalidEnvironmentError);
    expect(attempt).toThrow(new RegExp(`^  - ${variable}: `, 'm'));
  });
});
