import { TZDate } from '@date-fns/tz';
import { localDate } from '../dates.ts';

/** The digest goes out on Mondays from this hour on, in the reporting time zone. */
export const DIGEST_HOUR = 7;

/**
 * The Monday (local date) whose digest is due at `now` in `tz`: today when it
 * is Monday at or after 07:00 there, else null (no digest is due).
 */
export function dueWeekStart(now: Date, tz: string): string | null {
  const local = new TZDate(now.getTime(), tz);
  if (local.getDay() !== 1 || local.getHours() < DIGEST_HOUR) return null;
  return localDate(now, tz);
}
