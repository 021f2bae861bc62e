import { Logger } from '@nestjs/common';
import type { ManagerConfig } from '../../config/manager-config';
import { OutboxRetentionService, PRUNE_BATCH } from './outbox-retention.service';
import type { OutboxRepository } from './outbox.repository';

const RETENTION_MS = 3_600_000;
const INTERVAL_MS = 60_000;

/** A repository whose prune answers with the given batch sizes in turn (then 0), recording each call. */
function fakeRepository(batches: number[], onCall: (deliveredBefore: Date) => void = () => undefined) {
  const calls: { deliveredBefore: Date; limit: number }[] = [];
  const repository = {
    pruneDelivered: (deliveredBefore: Date, limit: number): number => {
      calls.push({ deliveredBefore, limit });
      onCall(deliveredBefore);
      return batches.shift() ?? 0;
    },
  };
  return { repository: repository as unknown as OutboxRepository, calls };
}

function makeService(repository: OutboxRepository): OutboxRetentionService {
  const config = { outboxRetentionMs: RETENTION_MS, outboxPruneIntervalMs: INTERVAL_MS } as ManagerConfig;
  return new OutboxRetentionService(repository, config);
}

describe(OutboxRetentionService.name, () => {
  let debug: jest.SpyInstance;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('should delete rows delivered before now minus the retention, batch after batch until one is short', async () => {
    const { repository, calls } = fakeRepository([PRUNE_BATCH, PRUNE_BATCH, 7]);
    const now = new Date('2030-01-02T03:04:05.000Z');

    await expect(makeService(repository).prune(now)).resolves.toBe(2 * PRUNE_BATCH + 7);

    expect(calls).toEqual(Array.from({ length: 3 }, () => ({ deliveredBefore: new Date(now.getTime() - RETENTION_MS), limit: PRUNE_BATCH })));
    expect(debug).toHaveBeenCalledWith(expect.objectContaining({ pruned: 2 * PRUNE_BATCH + 7, batches: 3 }), 'pruned delivered outbox rows');
  });

  it('should give the event loop a turn between two batches', async () => {
    const order: string[] = [];
    const { repository } = fakeRepository([PRUNE_BATCH, PRUNE_BATCH, 0], () => {
      order.push('batch');
      if (order.length === 1) setImmediate(() => order.push('other work'));
    });

    await makeService(repository).prune();

    expect(order).toEqual(['batch', 'other work', 'batch', 'batch']);
  });

  it('should stop after the batch in flight when the module is destroyed', async () => {
    const shutdowns: Promise<void>[] = [];
    const { repository, calls } = fakeRepository(new Array<number>(100).fill(PRUNE_BATCH), () => {
      if (shutdowns.length === 0) shutdowns.push(service.onModuleDestroy());
    });
    const service = makeService(repository);

    await expect(service.prune()).resolves.toBe(PRUNE_BATCH);
    await Promise.all(shutdowns);
    expect(calls).toHaveLength(1);
  });

  it('should share the pass in progress with a second caller', async () => {
    const { repository, calls } = fakeRepository([PRUNE_BATCH, 3]);
    const service = makeService(repository);

    const [first, second] = await Promise.all([service.prune(), service.prune()]);

    expect([first, second]).toEqual([PRUNE_BATCH + 3, PRUNE_BATCH + 3]);
    expect(calls).toHaveLength(2);
  });

  it('should survive a failing pass and prune again at the next one', async () => {
    const { repository, calls } = fakeRepository([5]);
    const service = makeService(repository);
    const prune = jest.spyOn(repository, 'pruneDelivered').mockImplementationOnce(() => {
      throw new Error('SQLITE_BUSY');
    });

    await expect(service.prune()).resolves.toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.objectContaining({ message: 'SQLITE_BUSY' }) }), expect.stringContaining('outbox prune failed'));
    await expect(service.prune()).resolves.toBe(5);
    expect(prune).toHaveBeenCalledTimes(2);
    expect(calls).toHaveLength(1);
  });

  it('should prune on every interval from bootstrap, and never after destroy', async () => {
    jest.useFakeTimers();
    const { repository, calls } = fakeRepository([]);
    const service = makeService(repository);
    service.onApplicationBootstrap();

    await jest.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(calls).toHaveLength(2);

    await service.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(calls).toHaveLength(2);
  });
});
