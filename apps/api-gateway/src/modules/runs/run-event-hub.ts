import { Logger } from '@nestjs/common';
import type { RunEvent } from '@sandbox/contracts';

/** What a hub needs from the outside: the table read, the run's end, the doorbell. */
export interface RunEventHubSource {
  /** Events with `seq > afterSeq`, in order, at most `limit`. */
  read(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]>;
  /** True when the run is finished or gone: no event will come any more. */
  finished(runId: string): Promise<boolean>;
  /** Calls `ring` whenever an event of `runId` is committed; returns the unsubscribe function. */
  subscribe(runId: string, ring: () => void): () => void;
}

export interface RunEventHubOptions {
  /** Rows per read. */
  page: number;
  /** Re-read at least this often, doorbell or not (a lost notification only costs latency). */
  pollMs: number;
  /** Events held for one watcher that has not taken them; beyond it the watcher is detached. */
  maxPending: number;
}

/**
 * One caught-up watcher of a run, as its hub sees it: the events read for it and not yet taken, in
 * seq order, and whether the hub has let go of it.
 */
export class RunEventHubMember {
  private pending: RunEvent[] = [];
  private detachedFlag = false;
  private wakeUp: (() => void) | null = null;

  /** The hub let go of this watcher (it fell behind by more than the bound, or the hub stopped): it reads its own pages. */
  get detached(): boolean {
    return this.detachedFlag;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Everything delivered since the last take. */
  take(): RunEvent[] {
    const events = this.pending;
    this.pending = [];
    return events;
  }

  /** Resolves at once when something was delivered or the hub let go, else at the next of those or `wake()`. */
  wait(): Promise<void> {
    if (this.pending.length > 0 || this.detachedFlag) return Promise.resolve();
    return new Promise((resolve) => (this.wakeUp = resolve));
  }

  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  attach(): void {
    this.detachedFlag = false;
    this.pending = [];
  }

  deliver(events: RunEvent[]): void {
    for (const event of events) this.pending.push(event);
    this.wake();
  }

  detach(): void {
    this.detachedFlag = true;
    this.pending = [];
    this.wake();
  }
}

/**
 * The shared live reader of one run (docs/runs.md, Watching): the watchers of the run that are caught
 * up are its members, and each doorbell ring (or poll tick) is one `seq > last` read whose rows go to
 * every member. Reads never overlap: a ring during a read makes one more read after it. A member that
 * lets more than `maxPending` events pile up is detached (its pending events dropped) and reads its
 * own pages until it is caught up again; a read that fails, or an empty read of a finished run, stops
 * the hub and detaches everyone, so each watcher finds out by its own read. The hub does not order or
 * de-duplicate for its members: each keeps its own last seq (see RunEventStream).
 */
export class RunEventHub {
  private readonly logger = new Logger(RunEventHub.name);
  private readonly members = new Set<RunEventHubMember>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  /** The seq of the last event this hub read (or, before its first read, of the watcher that opened it). */
  private last: number;
  private reading = false;
  private again = false;
  private stopped = false;

  constructor(
    readonly runId: string,
    after: number,
    private readonly source: RunEventHubSource,
    private readonly options: RunEventHubOptions,
    private readonly onStop: (hub: RunEventHub) => void,
  ) {
    this.last = after;
    this.unsubscribe = source.subscribe(runId, () => this.ring());
    this.timer = setInterval(() => this.ring(), options.pollMs);
    // Whatever was committed between the opening watcher's last read and the subscription.
    this.ring();
  }

  get size(): number {
    return this.members.size;
  }

  /**
   * Adds a watcher whose own reads reached `last`. Refused (false) when this hub already read past
   * it, since those rows went to the members of that moment: the watcher reads on by itself first.
   */
  join(member: RunEventHubMember, last: number): boolean {
    if (this.stopped || last < this.last) return false;
    member.attach();
    this.members.add(member);
    return true;
  }

  leave(member: RunEventHubMember): void {
    this.members.delete(member);
    if (this.members.size === 0) this.stop();
  }

  /** A new event may be committed: read, or read once more after the read in flight. */
  ring(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.readAll();
  }

  private async readAll(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const page = await this.source.read(this.runId, this.last, this.options.page);
        if (this.stopped) return;
        if (page.length > 0) {
          this.last = page[page.length - 1].seq;
          this.deliver(page);
          if (page.length === this.options.page) this.again = true;
        } else if (await this.source.finished(this.runId)) {
          // Nothing more will come; each watcher ends on its own reads.
          this.stop();
          return;
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      this.logger.warn({ runId: this.runId, err: error }, 'shared read of run events failed; its watchers read on their own');
      this.stop();
    } finally {
      this.reading = false;
    }
  }

  private deliver(page: RunEvent[]): void {
    for (const member of this.members) {
      if (member.pendingCount + page.length > this.options.maxPending) {
        this.members.delete(member);
        member.detach();
      } else {
        member.deliver(page);
      }
    }
    if (this.members.size === 0) this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.timer);
    for (const member of this.members) member.detach();
    this.members.clear();
    this.onStop(this);
  }
}
