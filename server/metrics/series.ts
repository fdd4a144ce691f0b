import { addCounts, type ScoreCounts } from './compute.ts';

export const intervals = ['day', 'week', 'month'] as const;
export type Interval = (typeof intervals)[number];

const DAY_MS = 86_400_000;

/** A local calendar date 'YYYY-MM-DD' as a UTC midnight, for calendar arithmetic only. */
const civil = (date: string): Date => new Date(`${date}T00:00:00Z`);
const formatCivil = (d: Date): string => d.toISOString().slice(0, 10);

export const isCalendarDate = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(civil(value).getTime()) && formatCivil(civil(value)) === value;

export function addDays(date: string, days: number): string {
  return formatCivil(new Date(civil(date).getTime() + days * DAY_MS));
}

/** The local start date of the bucket holding the local date `day`: itself, its ISO week's Monday, or the 1st. */
export function bucketStart(day: string, interval: Interval): string {
  if (interval === 'day') return day;
  if (interval === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = (civil(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}

/** The start of the bucket after the one starting on `start`. */
export function nextBucketStart(start: string, interval: Interval): string {
  if (interval === 'day') return addDays(start, 1);
  if (interval === 'week') return addDays(start, 7);
  const d = civil(start);
  return formatCivil(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)));
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
