import { backoffDelay, isPermanentFailure } from './outbox.backoff';

describe(backoffDelay.name, () => {
  it('should double the delay on every attempt up to the cap', () => {
    const noJitter = () => 1;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, 100, 1_000, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('should keep at least half of the delay whatever the jitter', () => {
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(200);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(300);
  });

  it('should not overflow for very large attempt counts', () => {
    expect(backoffDelay(10_000, 100, 5_000, () => 1)).toBe(5_000);
  });
});

describe(isPermanentFailure.name, () => {
  it('should give up on answers that cannot change (400, 404, 409, 422)', () => {
    expect([400, 404, 409, 422].map(isPermanentFailure)).toEqual([true, true, true, true]);
  });

  it('should retry on outages, server errors, throttling and auth problems', () => {
    expect([null, 500, 502, 503, 401, 403, 408, 429].map(isPermanentFailure)).toEqual([false, false, false, false, false, false, false, false]);
  });
});
