import { RunEvent, RunEventType, RunStatus } from '@sandbox/contracts';
import type { RunEventBellRepository } from './run-event-bell.repository';
import { RunEventStream } from './run-event-stream';
import type { RunsRepository } from './runs.repository';
import type { GatewayConfig } from '../../config/gateway-config';

const RUN = '00000000-0000-4000-8000-000000000001';
const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A run's events in memory behind the two calls the stream makes (reads counted; the next read can be
 * held, its rows taken when it is called, as PostgreSQL would), and a doorbell the test rings.
 */
function fakeRun(options: { watcherBuffer?: number } = {}) {
  const events: RunEvent[] = [];
  let status: RunStatus | null = RunStatus.Running;
  const rings = new Set<() => void>();
  let reads = 0;
  let holdNext = false;
  const held: (() => void)[] = [];
  const repository = {
    eventsAfter: (runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> => {
      reads++;
      const rows = events.filter((e) => e.seq > afterSeq).slice(0, limit);
      if (!holdNext) return Promise.resolve(rows);
      holdNext = false;
      return new Promise((resolve) => held.push(() => resolve(rows)));
    },
    find: () => Promise.resolve(status === null ? null : { status }),
  };
  const bell = {
    subscribe: (_runId: string, ring: () => void) => {
      rings.add(ring);
      return () => rings.delete(ring);
    },
  };
  const config = { runs: { eventPollMs: 60_000, eventWatcherBuffer: options.watcherBuffer ?? 2_000 } } as GatewayConfig;
  const stream = new RunEventStream(repository as unknown as RunsRepository, bell as unknown as RunEventBellRepository, config);
  const add = (count: number, type = RunEventType.Log) => {
    for (let i = 0; i < count; i++) {
      const seq = events.length + 1;
      events.push({ seq, runId: RUN, type: i === count - 1 ? type : RunEventType.Log, message: `event ${seq}`, data: null, timestamp: new Date(0).toISOString() });
    }
    if (type !== RunEventType.Log) status = RunStatus.Succeeded;
    for (const ring of [...rings]) ring();
  };
  return {
    stream,
    add,
    get reads() {
      return reads;
    },
    holdNextRead: () => (holdNext = true),
    releaseHeld: () => held.splice(0).forEach((release) => release()),
    deleteRun: () => {
      events.length = 0;
      status = null;
      for (const ring of [...rings]) ring();
    },
    listeners: () => rings.size,
  };
}

/** A watcher pulling from `follow` at its own pace; `pull()` takes everything up to the given seq. */
function watcher(stream: RunEventStream, afterSeq = 0) {
  const abort = new AbortController();
  const events = stream.follow(RUN, afterSeq, abort.signal);
  const seen: number[] = [];
  let done = false;
  const next = async () => {
    const step = await events.next();
    if (step.done) done = true;
    else seen.push(step.value.seq);
  };
  return {
    seen,
    get done() {
      return done;
    },
    next,
    /** Pulls until the watcher has `seq` (or its stream ended). */
    async pullTo(seq: number) {
      while (!done && (seen.at(-1) ?? afterSeq) < seq) await next();
    },
    async drain() {
      while (!done) await next();
    },
    stop: () => abort.abort(),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe(RunEventStream.name, () => {
  it('should serve the caught-up watchers of a run with one read per new event, whatever their number', async () => {
    const run = fakeRun();
    run.add(1);
    const watchers = Array.from({ length: 20 }, () => watcher(run.stream));
    await Promise.all(watchers.map((w) => w.pullTo(1)));
    // Each asks for more: caught up, it joins the run's hub and waits there.
    const waiting = watchers.map((w) => w.next());
    await turns();
    const before = run.reads;
    run.add(1);
    await Promise.all(waiting);
    expect(run.reads - before).toBe(1);
    expect(watchers.map((w) => w.seen)).toEqual(watchers.map(() => [1, 2]));
    for (let n = 3; n <= 12; n++) {
      const pulled = watchers.map((w) => w.pullTo(n));
      await turns();
      run.add(1);
      await Promise.all(pulled);
    }
    expect(run.reads - before).toBe(11);
    watchers.forEach((w) => w.stop());
    await Promise.all(watchers.map((w) => w.drain()));
    expect(run.listeners()).toBe(0);
  });

  it('should give every watcher every event once and in order: many, one joining late, one slow, one from a seq', async () => {
    const run = fakeRun({ watcherBuffer: 5 });
    const early = Array.from({ length: 8 }, () => watcher(run.stream));
    const fromSeq = watcher(run.stream, 4);
    const slow = watcher(run.stream);
    const keepUp = (list: ReturnType<typeof watcher>[]) => list.map((w) => w.pullTo(Number.MAX_SAFE_INTEGER));
    const following = keepUp([...early, fromSeq]);
    run.add(3);
    // The slow one replays, takes one live event from the hub, then stops reading while the run goes on.
    await slow.pullTo(3);
    const slowLive = slow.next();
    await turns();
    run.add(1);
    await slowLive;
    let late: ReturnType<typeof watcher> | null = null;
    let lateFollowing: Promise<void>[] = [];
    for (let burst = 1; burst <= 30; burst++) {
      run.add(1 + (burst % 4));
      if (burst === 12) {
        late = watcher(run.stream);
        lateFollowing = keepUp([late]);
      }
      await turns(burst % 3);
    }
    run.add(2, RunEventType.Complete);
    await Promise.all([...following, ...lateFollowing]);
    await slow.drain();
    const total = 4 + Array.from({ length: 30 }, (_, i) => 1 + ((i + 1) % 4)).reduce((a, b) => a + b, 0) + 2;
    for (const w of [...early, late!, slow]) expect(w.seen).toEqual(range(1, total));
    expect(fromSeq.seen).toEqual(range(5, total));
    expect(run.listeners()).toBe(0);
  });

  it('should let a watcher read on by itself when the hub read past it before it joined', async () => {
    const run = fakeRun();
    run.add(2);
    const first = watcher(run.stream);
    await first.pullTo(2);
    const firstWaiting = first.next();
    await turns();
    // The second watcher's replay read sees events 1-2 and answers late: event 3 reaches the hub meanwhile.
    run.holdNextRead();
    const second = watcher(run.stream);
    const secondFirst = second.next();
    await turns();
    run.add(1);
    await firstWaiting;
    run.releaseHeld();
    await secondFirst;
    await second.pullTo(2);
    const rest = [first.drain(), second.drain()];
    await turns();
    run.add(2, RunEventType.Complete);
    await Promise.all(rest);
    expect(first.seen).toEqual([1, 2, 3, 4, 5]);
    expect(second.seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('should end the watchers of a run deleted while they wait', async () => {
    const run = fakeRun();
    run.add(1);
    const watchers = [watcher(run.stream), watcher(run.stream)];
    await Promise.all(watchers.map((w) => w.pullTo(1)));
    const ended = watchers.map((w) => w.drain());
    await turns();
    run.deleteRun();
    await Promise.all(ended);
    expect(watchers.map((w) => w.seen)).toEqual([[1], [1]]);
    expect(run.listeners()).toBe(0);
  });
});
