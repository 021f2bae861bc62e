import { POOL_LABEL, SESSION_LABEL, sessionOfContainer } from './paths';

describe('sessionOfContainer', () => {
  const id = '0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d';

  it('should take the session label of a sandbox created for its session', () => {
    expect(sessionOfContainer({ [SESSION_LABEL]: id }, `/sandbox-session-${id}`)).toBe(id);
  });

  it('should take the session from the name of a claimed pooled sandbox, with or without the leading slash', () => {
    expect(sessionOfContainer({ [POOL_LABEL]: 'base' }, `/sandbox-session-${id}`)).toBe(id);
    expect(sessionOfContainer({ [POOL_LABEL]: 'base' }, `sandbox-session-${id}`)).toBe(id);
  });

  it('should give no session to an unclaimed pooled sandbox or to a container that is neither', () => {
    expect(sessionOfContainer({ [POOL_LABEL]: 'base' }, '/sandbox-pool-1234')).toBeNull();
    expect(sessionOfContainer({}, `/sandbox-session-${id}`)).toBeNull();
    expect(sessionOfContainer(undefined, `/sandbox-session-${id}`)).toBeNull();
    expect(sessionOfContainer({ [POOL_LABEL]: 'base' }, `/sandbox-session-${id.toUpperCase()}`)).toBeNull();
    expect(sessionOfContainer({ [POOL_LABEL]: 'base' }, `/sandbox-session-${id}-x`)).toBeNull();
  });
});
