/**
 * Delay before retry number `attempt` (1-based): exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so that many messages failing together spread out.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** Gateway answers that will never turn into a success however often they are retried. */
export function isPermanentFailure(status: number | null): boolean {
  if (status === null) return false;
  if (status < 400 || status >= 500) return false;
  return ![401, 403, 408, 425, 429].includes(status);
}
