import { CronExpressionParser } from 'cron-parser';
import { DomainException } from '@sandbox/shared';

/** True when `timezone` is an IANA zone this runtime knows. */
export function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Checks a cron pattern (5 fields, or 6 with seconds) and a timezone; 400 with the reason otherwise. */
export function assertValidSchedule(cron: string, timezone: string): void {
  if (!isTimezone(timezone)) throw DomainException.badRequest(`Invalid timezone '${timezone}': use an IANA name such as 'UTC' or 'Europe/Paris'`);
  const fields = cron.trim().split(/\s+/).length;
  if (!cron.trim().startsWith('@') && (fields < 5 || fields > 6)) throw DomainException.badRequest(`Invalid cron expression '${cron}': expected 5 fields (or 6 with seconds)`);
  try {
    CronExpressionParser.parse(cron, { tz: timezone, strict: false }).next();
  } catch (error) {
    throw DomainException.badRequest(`Invalid cron expression '${cron}': ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The next tick after `from`, or null when the pattern has none. */
export function nextRun(cron: string, timezone: string, from = new Date()): string | null {
  try {
    return CronExpressionParser.parse(cron, { tz: timezone, currentDate: from }).next().toISOString();
  } catch {
    return null;
  }
}
