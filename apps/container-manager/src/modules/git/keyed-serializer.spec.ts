import { KeyedSerializer } from './keyed-serializer';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe(KeyedSerializer.name, () => {
  it('should run tasks of one key one after the other, in order, even when one fails', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const gate = deferred();
    const first = serializer.run('s', async () => {
      log.push('first:start');
      await gate.promise;
      log.push('first:end');
      throw new Error('boom');
    });
    const second = serializer.run('s', async () => {
      log.push('second');
      return 2;
    });
    await Promise.resolve();
    expect(log).toEqual(['first:start']);
    gate.resolve();
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(['first:start', 'first:end', 'second']);
  });

  it('should not make one key wait for another', async () => {
    const serializer = new KeyedSerializer();
    const gate = deferred();
    const blocked = serializer.run('a', () => gate.promise);
    await expect(serializer.run('b', async () => 'b')).resolves.toBe('b');
    gate.resolve();
    await blocked;
    await serializer.drain();
  });
});
