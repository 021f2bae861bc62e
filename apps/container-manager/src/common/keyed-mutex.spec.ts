import { KeyedMutex } from './keyed-mutex';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe(KeyedMutex.name, () => {
  it('should run tasks of one key one after the other, in order, even when one fails', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const gate = deferred();
    const started = deferred();
    const first = mutex.run('s', async () => {
      log.push('first:start');
      started.resolve();
      await gate.promise;
      log.push('first:end');
      throw new Error('boom');
    });
    const second = mutex.run('s', async () => {
      log.push('second');
      return 2;
    });
    await started.promise;
    expect(log).toEqual(['first:start']);
    gate.resolve();
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(['first:start', 'first:end', 'second']);
  });

  it('should not make one key wait for another', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const blocked = mutex.run('a', () => gate.promise);
    await expect(mutex.run('b', async () => 'b')).resolves.toBe('b');
    gate.resolve();
    await blocked;
    await mutex.drain();
  });
});
