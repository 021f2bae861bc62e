import { DomainException } from '@sandbox/shared';
import { bullPriorityOf } from '../tasks/task-queue.repository';
import { tickTaskId } from './jobs.service';
import { assertValidSchedule, nextRun } from './cron';

describe('cron', () => {
  it('should accept 5- and 6-field patterns in a known timezone', () => {
    expect(() => assertValidSchedule('*/5 * * * *', 'UTC')).not.toThrow();
    expect(() => assertValidSchedule('*/10 * * * * *', 'America/New_York')).not.toThrow();
  });

  it.each([['* * *'], ['61 * * * *'], ['* * * * * * *'], ['nonsense']])('should refuse %s with a 400', (cron) => {
    expect(() => assertValidSchedule(cron, 'UTC')).toThrow(DomainException);
    expect(() => assertValidSchedule(cron, 'UTC')).toThrow(/Invalid cron expression/);
  });

  it('should refuse an unknown timezone', () => {
    expect(() => assertValidSchedule('* * * * *', 'Nowhere/Else')).toThrow(/Invalid timezone 'Nowhere\/Else'/);
  });

  it('should compute the next run in the given timezone', () => {
    expect(nextRun('0 3 * * *', 'Asia/Tokyo', new Date('2026-01-10T00:00:00Z'))).toBe('2026-01-10T18:00:00.000Z');
  });

  it('should derive one stable, UUID-shaped task id per tick', () => {
    const id = tickTaskId('job-1', 'repeat:cron-job-1:1700000000000');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(tickTaskId('job-1', 'repeat:cron-job-1:1700000000000')).toBe(id);
    expect(tickTaskId('job-1', 'repeat:cron-job-1:1700000001000')).not.toBe(id);
  });

  it('should map HIGH to the priority BullMQ runs first', () => {
    expect([10, 5, 1].map((p) => bullPriorityOf(p as 1 | 5 | 10))).toEqual([1, 6, 10]);
  });
});
