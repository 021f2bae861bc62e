import { rateLimitedException, type RateLimitState } from '../http/rate-limit';

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Counts failed authentications per client address in fixed windows. Once an address has failed
 * `limit` times in a window, `assertAllowed` refuses it (429) until the window ends, before its
 * credentials are even looked at; successful requests are never counted. In memory: per instance.
 */
export class FailureBudget {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    /** Addresses tracked at most, so a flood of distinct addresses cannot grow memory without bound. */
    private readonly maxAddresses = 100_000,
  ) {}

  /** Throws the 429 rate-limit exception when `address` has no failures left in its window. */
  assertAllowed(address: string, now = Date.now()): void {
    const window = this.current(address, now);
    if (window && window.failures >= this.limit) throw rateLimitedException(this.state(window, now));
  }

  recordFailure(address: string, now = Date.now()): RateLimitState {
    let window = this.current(address, now);
    if (!window) {
      if (this.windows.size >= this.maxAddresses) this.evict(now);
      window = { failures: 0, endsAt: now + this.windowMs };
      this.windows.set(address, window);
    }
    window.failures += 1;
    return this.state(window, now);
  }

  private current(address: string, now: number): Window | undefined {
    const window = this.windows.get(address);
    if (window && window.endsAt <= now) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private state(window: Window, now: number): RateLimitState {
    return { limit: this.limit, remaining: this.limit - window.failures, resetSeconds: Math.ceil((window.endsAt - now) / 1000) };
  }

  /**
   * Every window has the same length and a new one is always inserted last, so the Map's order is
   * the order in which windows end: drop ended ones from the front, then the oldest if still full.
   */
  private evict(now: number): void {
    for (const [address, window] of this.windows) {
      if (window.endsAt > now) break;
      this.windows.delete(address);
    }
    if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value as string);
  }
}
