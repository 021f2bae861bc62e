/**
 * Delay before the attempt after `attempts` failed ones: exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so receivers that come back are not hit by
 * every queued delivery at the same moment, while no retry comes sooner than half its step.
 */
export function webhookRetryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}
