/**
 * Runs async work one at a time per key (a session), in arrival order, while different keys run in
 * parallel; a failed task does not block the next. In this process only: one lifecycle operation per
 * session (SessionStateMachine), one git operation per repository (git takes an index lock), one
 * build per template.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.tails.set(key, next);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === next) this.tails.delete(key);
    }
  }

  /** Resolves once every task queued so far has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}
