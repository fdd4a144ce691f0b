import { TZDate } from '@date-fns/tz';
import { MINUTE } from '../clock.ts';
import { isTimeZone, type QuietHours } from '../settings/service.ts';
import type { DecisionInput } from './model.ts';

/** Quiet hours: the send time moves into the daily window in the customer's time zone; they never suppress. */

// Checking a zone builds an Intl formatter (slow): remember the answers (a few hundred zones at most).
const zoneChecks = new Map<string, boolean>();
function knownZone(zone: string): boolean {
  let known = zoneChecks.get(zone);
  if (known === undefined) {
    known = isTimeZone(zone);
    if (zoneChecks.size < 1000) zoneChecks.set(zone, known);
  }
  return known;
}

/** The zone quiet hours are read in: the customer's, else the reporting zone, else UTC. */
export function zoneFor(customerZone: string | null, reportingZone: string, notes: string[]): string {
  if (customerZone && knownZone(customerZone)) return customerZone;
  const fallback = knownZone(reportingZone) ? reportingZone : 'UTC';
  if (customerZone) notes.push(`the customer's time zone "${customerZone}" is unknown; used ${fallback}`);
  return fallback;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Moves `at` forward to the next moment inside the daily window [start, end) in `zone`. */
export function intoQuietHoursWindow(at: Date, window: QuietHours, zone: string): Date {
  const local = new TZDate(at.getTime(), zone);
  const minute = local.getHours() * 60 + local.getMinutes();
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (inside) return at;
  // Outside: the next start is today when it is still ahead, else tomorrow (local calendar days).
  // A window that a daylight-saving jump skips on that day starts the day after.
  for (let dayOffset = minute < start ? 0 : 1; ; dayOffset++) {
    const next = new TZDate(local.getFullYear(), local.getMonth(), local.getDate() + dayOffset, Math.floor(start / 60), start % 60, 0, zone);
    const nextMinute = next.getHours() * 60 + next.getMinutes();
    const nextInside = start < end ? nextMinute >= start && nextMinute < end : nextMinute >= start || nextMinute < end;
    if (nextInside || dayOffset > 2) return new Date(next.getTime());
  }
}

/** When to send: max(now, occurred_at) + delay, then into the quiet-hours window. */
export function sendTime(input: Pick<DecisionInput, 'now' | 'occurredAt' | 'reportingTimeZone'> & { delayMinutes: number; quietHours: QuietHours | null; customerZone: string | null }, notes: string[]): Date {
  const base = new Date(Math.max(input.now.getTime(), input.occurredAt.getTime()) + input.delayMinutes * MINUTE);
  if (!input.quietHours) return base;
  const zone = zoneFor(input.customerZone, input.reportingTimeZone, notes);
  const moved = intoQuietHoursWindow(base, input.quietHours, zone);
  if (moved.getTime() !== base.getTime()) {
    notes.push(`send time moved from ${base.toISOString()} to ${moved.toISOString()}: quiet hours ${input.quietHours.start}–${input.quietHours.end} ${zone}`);
  }
  return moved;
}
