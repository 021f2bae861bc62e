import { Logger } from '@nestjs/common';

export interface PeriodicTaskOptions {
  /** Names the task in the log line of a pass that throws (passes are expected to handle their own failures). */
  name: string;
  /** Pause after a pass before the next one, in ms; a function is asked again after every pass. */
  intervalMs: number | (() => number);
}

/**
 * A background pass repeated on a timer, at most one at a time (sweepers, delivery loops). The next
 * pass is due `intervalMs` after the previous one ended, so a slow pass never piles up behind itself.
 * `run()` during a pass joins it; `wake()` asks for a pass as soon as possible, right after the
 * current one when busy. `stop()` ends the schedule and waits for the pass in flight. The timer never
 * keeps the process alive.
 */
export class PeriodicTask<T = void> {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<T> | null = null;
  private again = false;
  private started = false;

  constructor(
    private readonly pass: () => Promise<T>,
    private readonly options: PeriodicTaskOptions,
  ) {
    this.logger = new Logger(options.name);
  }

  /** Between start() and stop(): a pass that loops over batches ends early once this turns false. */
  get active(): boolean {
    return this.started;
  }

  /** Schedules the first pass one interval from now, or at once with `{ immediately: true }`. */
  start(options: { immediately?: boolean } = {}): void {
    this.started = true;
    this.schedule(options.immediately ? 0 : this.interval());
  }

  /** No more passes are scheduled (run() still works); resolves once the pass in flight has ended. */
  async stop(): Promise<void> {
    this.started = false;
    this.clearTimer();
    await this.current?.catch(() => undefined);
  }

  /** One pass now, or the one in progress; the schedule restarts from its end. */
  run(): Promise<T> {
    if (!this.current) {
      this.clearTimer();
      this.current = this.pass().finally(() => {
        this.current = null;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 0 : this.interval());
      });
    }
    return this.current;
  }

  /** Something is waiting: a pass at once rather than at the next interval (after the current one if busy). */
  wake(): void {
    if (!this.started) return;
    if (this.current) this.again = true;
    else this.schedule(0);
  }

  private interval(): number {
    const { intervalMs } = this.options;
    return typeof intervalMs === 'function' ? intervalMs() : intervalMs;
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run().catch((error: unknown) => this.logger.error({ err: error }, 'background pass failed; the next one runs on schedule'));
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
