import { webhookRetryDelayMs } from './webhook-backoff';

describe('webhookRetryDelayMs', () => {
  it('should double the step after each failed attempt, up to the cap', () => {
    const fixed = (attempts: number) => webhookRetryDelayMs(attempts, 1000, 60_000, () => 1);
    expect([1, 2, 3, 4, 7, 8, 50].map(fixed)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
  });

  it('should jitter within the upper half of the step', () => {
    expect(webhookRetryDelayMs(3, 1000, 60_000, () => 0)).toBe(2000);
    expect(webhookRetryDelayMs(3, 1000, 60_000, () => 0.5)).toBe(3000);
  });
});
