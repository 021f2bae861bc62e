import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { isTerminalRunStatus, RunEvent, TERMINAL_RUN_EVENT_TYPES } from '@sandbox/contracts';
import { RunEventBellRepository } from './run-event-bell.repository';
import { RunsRepository } from './runs.repository';

const PAGE = 500;

/**
 * Replay then live, with one cursor (docs/runs.md, Watching). The doorbell is registered first; then
 * every delivery is a `seq > last` read, so ordering and de-duplication come from the table itself:
 * a watcher that connects late, or reconnects with its last seq, gets every event exactly once. The
 * stream ends after COMPLETE or ERROR (or, for a finished run whose events retention removed, once
 * nothing is left to read). Transport-independent: GraphQL, SSE and any other server stream use it.
 */
@Injectable()
export class RunEventStream {
  constructor(
    private readonly runs: RunsRepository,
    private readonly bell: RunEventBellRepository,
    private readonly config: ConfigService,
  ) {}

  async *follow(runId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<RunEvent, void, undefined> {
    const pollMs = this.config.getOrThrow<number>('RUN_EVENT_POLL_MS');
    let rang = false;
    let wake: (() => void) | null = null;
    const unsubscribe = this.bell.subscribe(runId, () => {
      rang = true;
      wake?.();
    });
    let last = afterSeq;
    try {
      while (!signal.aborted) {
        rang = false;
        const page = await this.runs.eventsAfter(runId, last, PAGE);
        for (const event of page) {
          if (signal.aborted) return;
          yield event;
          last = event.seq;
          if (TERMINAL_RUN_EVENT_TYPES.includes(event.type)) return;
        }
        if (page.length === PAGE) continue;
        if (page.length === 0) {
          const run = await this.runs.find(runId);
          if (!run || isTerminalRunStatus(run.status)) {
            // A terminal run always ends with its terminal event; read once more in case it was
            // committed between the page and the status check, then stop.
            const rest = await this.runs.eventsAfter(runId, last, PAGE);
            for (const event of rest) {
              yield event;
              last = event.seq;
            }
            return;
          }
        }
        if (rang) continue;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = null;
            resolve();
          };
          const timer = setTimeout(done, pollMs);
          wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
      }
    } finally {
      unsubscribe();
    }
  }
}
