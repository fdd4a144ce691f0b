import { addDays, addMonthsDate, startOfIsoWeekDate, startOfMonthDate } from '../dates.ts';
import { addCounts, type ScoreCounts } from './compute.ts';

export const intervals = ['day', 'week', 'month'] as const;
export type Interval = (typeof intervals)[number];

/** The local start date of the bucket holding the local date `day`: itself, its ISO week's Monday, or the 1st. */
export function bucketStart(day: string, interval: Interval): string {
  if (interval === 'day') return day;
  return interval === 'month' ? startOfMonthDate(day) : startOfIsoWeekDate(day);
}

/** The start of the bucket after the one starting on `start`. */
function nextBucketStart(start: string, interval: Interval): string {
  if (interval === 'day') return addDays(start, 1);
  return interval === 'week' ? addDays(start, 7) : addMonthsDate(start, 1);
}

/** Day counts (local day → score → count) grouped into buckets, in date order. */
export function groupDays(days: Map<string, ScoreCounts>, interval: Interval): [string, ScoreCounts][] {
  const buckets = new Map<string, ScoreCounts>();
  for (const [day, counts] of days) {
    const start = bucketStart(day, interval);
    addCounts(buckets.get(start) ?? buckets.set(start, new Map()).get(start)!, counts);
  }
  return [...buckets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every bucket start from the bucket holding `from` to the one holding `to` (for charts that draw gaps). */
export function bucketStarts(from: string, to: string, interval: Interval): string[] {
  const starts: string[] = [];
  for (let s = bucketStart(from, interval); s <= to; s = nextBucketStart(s, interval)) starts.push(s);
  return starts;
}
