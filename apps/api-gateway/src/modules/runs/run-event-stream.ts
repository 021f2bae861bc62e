import { Injectable } from '@nestjs/common';
import { isTerminalRunStatus, RunEvent, TERMINAL_RUN_EVENT_TYPES } from '@sandbox/contracts';
import { RunEventBellRepository } from './run-event-bell.repository';
import { RunEventHub, RunEventHubMember, RunEventHubOptions, RunEventHubSource } from './run-event-hub';
import { RunsRepository } from './runs.repository';
import { GatewayConfig } from '../../config/gateway-config';

/** Rows per read, replay and live alike. */
export const RUN_EVENT_PAGE = 1000;

/** The events up to and including the first terminal one, and whether there was one. */
function untilTerminal(events: RunEvent[]): { batch: RunEvent[]; ended: boolean } {
  const end = events.findIndex((event) => TERMINAL_RUN_EVENT_TYPES.includes(event.type));
  return end < 0 ? { batch: events, ended: false } : { batch: events.slice(0, end + 1), ended: true };
}

/**
 * Replay then live, with one cursor per watcher (docs/runs.md, Watching). A watcher first reads its
 * own pages (`seq > last`) until one comes back short; then it joins its run's hub, the one shared
 * reader that turns each doorbell ring into a single read for every caught-up watcher. Ordering and
 * de-duplication stay with the watcher: it drops anything at or below its last seq, and since seq is
 * gapless, a first event that is not `last + 1` means it missed rows (the hub read them before it
 * joined), so it leaves the hub and reads its own pages again. The same happens when the hub lets go
 * of it (it fell behind by more than RUN_EVENT_WATCHER_BUFFER events, or the hub stopped). So a
 * watcher that connects late, reconnects with its last seq, or is slow gets every event exactly once
 * and in order. The stream ends after COMPLETE or ERROR (or, for a finished run whose events retention
 * removed, once nothing is left to read). Transport-independent: GraphQL, SSE and Connect use it.
 */
@Injectable()
export class RunEventStream {
  private readonly hubs = new Map<string, RunEventHub>();
  private readonly options: RunEventHubOptions;
  private readonly source: RunEventHubSource;

  constructor(
    private readonly runs: RunsRepository,
    bell: RunEventBellRepository,
    config: GatewayConfig,
  ) {
    this.options = {
      page: RUN_EVENT_PAGE,
      pollMs: config.runs.eventPollMs,
      maxPending: config.runs.eventWatcherBuffer,
    };
    this.source = {
      read: (runId, afterSeq, limit) => runs.eventsAfter(runId, afterSeq, limit),
      finished: (runId) => this.finished(runId),
      subscribe: (runId, ring) => bell.subscribe(runId, ring),
    };
  }

  /** The run's events one by one (see followBatches). */
  async *follow(runId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<RunEvent, void, undefined> {
    for await (const batch of this.followBatches(runId, afterSeq, signal)) yield* batch;
  }

  /**
   * The run's events after `afterSeq` in seq order, in the batches they were read in (a page of a
   * replay, or what one shared read found), so a transport can write each batch at once.
   */
  async *followBatches(runId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<RunEvent[], void, undefined> {
    const member = new RunEventHubMember();
    const wake = () => member.wake();
    signal.addEventListener('abort', wake, { once: true });
    let hub: RunEventHub | null = null;
    let last = afterSeq;
    try {
      while (!signal.aborted) {
        if (hub && !member.detached) {
          // Live: what the shared reader found, kept only past our own cursor.
          await member.wait();
          if (signal.aborted || member.detached) continue;
          const delivered = member.take();
          const start = delivered.findIndex((event) => event.seq > last);
          if (start < 0) continue;
          if (delivered[start].seq !== last + 1) {
            hub.leave(member);
            hub = null;
            continue;
          }
          const { batch, ended } = untilTerminal(start === 0 ? delivered : delivered.slice(start));
          yield batch;
          last = batch[batch.length - 1].seq;
          if (ended) return;
          continue;
        }
        // Replay, or catching up after falling behind: our own pages.
        hub = null;
        const page = await this.runs.eventsAfter(runId, last, RUN_EVENT_PAGE);
        if (signal.aborted) return;
        if (page.length > 0) {
          const { batch, ended } = untilTerminal(page);
          yield batch;
          last = batch[batch.length - 1].seq;
          if (ended) return;
          if (page.length === RUN_EVENT_PAGE) continue;
        } else if (await this.finished(runId)) {
          // A terminal run always ends with its terminal event; read once more in case it was
          // committed between the page and the status check, then stop.
          const rest = await this.runs.eventsAfter(runId, last, RUN_EVENT_PAGE);
          if (rest.length > 0 && !signal.aborted) yield untilTerminal(rest).batch;
          return;
        }
        hub = this.join(runId, member, last);
      }
    } finally {
      signal.removeEventListener('abort', wake);
      hub?.leave(member);
    }
  }

  /** The run's hub with this watcher in it; null when the hub already read past `last` (read on first). */
  private join(runId: string, member: RunEventHubMember, last: number): RunEventHub | null {
    const current = this.hubs.get(runId);
    if (current) return current.join(member, last) ? current : null;
    const hub = new RunEventHub(runId, last, this.source, this.options, (stopped) => {
      if (this.hubs.get(runId) === stopped) this.hubs.delete(runId);
    });
    this.hubs.set(runId, hub);
    hub.join(member, last);
    return hub;
  }

  private async finished(runId: string): Promise<boolean> {
    const run = await this.runs.find(runId);
    return !run || isTerminalRunStatus(run.status);
  }
}
