import { Logger } from '@nestjs/common';
import { PeriodicTask } from './periodic-task';

/** A pass that stays in flight until the test ends it. */
function controlledPass(): { pass: () => Promise<number>; calls: () => number; finish: (value?: number) => void; fail: (error: Error) => void } {
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  let calls = 0;
  return {
    pass: () =>
      new Promise<number>((resolve, reject) => {
        calls++;
        pending.push({ resolve, reject });
      }),
    calls: () => calls,
    finish: (value = calls) => pending.shift()!.resolve(value),
    fail: (error) => pending.shift()!.reject(error),
  };
}

describe(PeriodicTask.name, () => {
  let task: PeriodicTask<number> | undefined;

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    // Not awaited: a test may leave a pass in flight on purpose.
    void task?.stop();
    task = undefined;
    jest.useRealTimers();
  });

  it('should run the first pass one interval after start, and each next one an interval after the previous ended', async () => {
    const { pass, calls, finish } = controlledPass();
    task = new PeriodicTask(pass, { name: 'test', intervalMs: 1000 });
    task.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(calls()).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(1);
    // A pass that outlasts the interval is not joined by another one.
    await jest.advanceTimersByTimeAsync(5000);
    expect(calls()).toBe(1);
    finish();
    await jest.advanceTimersByTimeAsync(999);
    expect(calls()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(2);
  });

  it('should run the first pass at once when started immediately', async () => {
    const { pass, calls } = controlledPass();
    task = new PeriodicTask(pass, { name: 'test', intervalMs: 1000 });
    task.start({ immediately: true });
    await jest.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
  });

  it('should give overlapping run() calls the pass in progress and its result', async () => {
    const { pass, calls, finish } = controlledPass();
    task = new PeriodicTask(pass, { name: 'test', intervalMs: 1000 });
    const first = task.run();
    const second = task.run();
    expect(calls()).toBe(1);
    finish(7);
    await expect(first).resolves.toBe(7);
    await expect(second).resolves.toBe(7);
    const third = task.run();
    expect(calls()).toBe(2);
    finish(8);
    await expect(third).resolves.toBe(8);
  });

  it('should run a woken pass at once when idle, and right after the current pass when busy', async () => {
    const { pass, calls, finish } = controlledPass();
    task = new PeriodicTask(pass, { name: 'test', intervalMs: 60_000 });
    task.start();
    task.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    task.wake();
    task.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(2);
    finish();
    await jest.advanceTimersByTimeAsync(59_999);
    expect(calls()).toBe(2);
  });

  it('should ignore wake() before start', async () => {
    const { pass, calls } = controlledPass();
    task = new PeriodicTask(pass, { name: 'test', intervalMs: 1000 });
    task.wake();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(0);
    expect(task.active).toBe(false);
  });

  it('should wait for the pass in flight on stop and schedule none after it', async () => {
    const { pass, calls, finish } = controlledPass();
    task = new PeriodicTask(pass, { name: 'test', intervalMs: 1000 });
    task.start({ immediately: true });
    await jest.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    expect(task.active).toBe(false);
    task.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(1);
  });

  it('should log a pass that throws and keep the schedule', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const { pass, calls, fail } = controlledPass();
      task = new PeriodicTask(pass, { name: 'test', intervalMs: 1000 });
      task.start({ immediately: true });
      await jest.advanceTimersByTimeAsync(0);
      fail(new Error('database away'));
      await jest.advanceTimersByTimeAsync(0);
      expect(logged).toHaveBeenCalledWith({ err: new Error('database away') }, 'background pass failed; the next one runs on schedule');
      await jest.advanceTimersByTimeAsync(1000);
      expect(calls()).toBe(2);
    } finally {
      logged.mockRestore();
    }
  });

  it('should ask an interval function again after every pass', async () => {
    const { pass, calls, finish } = controlledPass();
    const intervals = [1000, 50];
    task = new PeriodicTask(pass, { name: 'test', intervalMs: () => intervals.shift() ?? 1000 });
    task.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls()).toBe(1);
    finish();
    await jest.advanceTimersByTimeAsync(50);
    expect(calls()).toBe(2);
  });

  it('should not keep the process alive with its timer', () => {
    jest.useRealTimers();
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    try {
      task = new PeriodicTask(() => Promise.resolve(0), { name: 'test', intervalMs: 60_000 });
      task.start();
      const timer = setTimeoutSpy.mock.results.at(-1)?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      setTimeoutSpy.mockRestore();
    }
  });
});
