import { addDays, localDate, offsetThroughUtcDate } from '../dates.ts';

const HOUR_MS = 3_600_000;

const MINUTES_A_DAY = 1440;
const digits = (text: string, at: number) => (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);

/**
 * The local day (in `tz`) of UTC instants stored as ISO strings, or of their prefixes to the hour
 * ('YYYY-MM-DDTHH') or the minute. Per UTC date the zone's offset is asked once (offsetThroughUtcDate),
 * and each instant placed by its hour and minute without a Date; on a date the zone's clock changes, Intl
 * answers per hour or instant. An hour that straddles a local midnight (zones with half-hour offsets) has
 * no single day (ofHour answers null).
 */
export function localDays(tz: string) {
  /** Per UTC date: the offset through it, and the local dates of the day before, the day and the day after. */
  const dates = new Map<string, { offset: number; days: [string, string, string] } | null>();
  let lastDate = '';
  let last: { offset: number; days: [string, string, string] } | null = null;
  const dateOf = (at: string) => {
    if (lastDate === '' || !at.startsWith(lastDate)) {
      lastDate = at.slice(0, 10);
      let known = dates.get(lastDate);
      if (known === undefined) {
        const offset = offsetThroughUtcDate(tz, lastDate);
        known = offset === null ? null : { offset, days: [addDays(lastDate, -1), lastDate, addDays(lastDate, 1)] };
        dates.set(lastDate, known);
      }
      last = known;
    }
    return last;
  };
  /** The local day at `minutes` past the UTC date's midnight, moved by its offset. */
  const dayAt = (date: { offset: number; days: [string, string, string] }, minutes: number) => date.days[Math.floor((minutes + date.offset) / MINUTES_A_DAY) + 1];

  const hours = new Map<string, string | null>();
  /** The local day of the whole UTC hour 'YYYY-MM-DDTHH' (Intl, once per hour), or null when a local midnight falls inside it. */
  const askHour = (hour: string): string | null => {
    let day = hours.get(hour);
    if (day === undefined) {
      const start = Date.parse(`${hour}:00:00.000Z`);
      const first = Number.isNaN(start) ? null : localDate(new Date(start), tz);
      day = first !== null && first === localDate(new Date(start + HOUR_MS - 1), tz) ? first : null;
      hours.set(hour, day);
    }
    return day;
  };
  /** The local day of the whole UTC hour 'YYYY-MM-DDTHH', or null when a local midnight falls inside it. */
  const ofHour = (hour: string): string | null => {
    const date = hour.length === 13 ? dateOf(hour) : null;
    if (!date) return askHour(hour);
    const start = digits(hour, 11) * 60;
    const local = (((start + date.offset) % MINUTES_A_DAY) + MINUTES_A_DAY) % MINUTES_A_DAY;
    return local > MINUTES_A_DAY - 60 ? null : dayAt(date, start);
  };
  /** The local day of a UTC instant 'YYYY-MM-DDTHH:MM:SS.sssZ', or of its prefix to the minute or to the hour. */
  const ofInstant = (at: string): string => {
    if (at.length === 13) {
      const day = ofHour(at);
      if (day !== null) return day;
    } else if (at.length === 16 || at.endsWith('Z')) {
      const date = dateOf(at);
      if (date) return dayAt(date, digits(at, 11) * 60 + digits(at, 14));
      const day = askHour(at.slice(0, 13));
      if (day !== null) return day;
    }
    return localDate(new Date(at.length === 13 ? `${at}:00:00.000Z` : at.length === 16 ? `${at}:00.000Z` : at), tz);
  };
  return { ofHour, ofInstant };
}

/**
 * Rows counted per UTC hour ('YYYY-MM-DDTHH' in `at`), each with its local day in `tz`; asked again per
 * minute when a local midnight falls inside one of the hours (zones with half-hour offsets).
 */
export async function inLocalDays<R extends { at: string }>(tz: string, fetch: (chars: 13 | 16) => Promise<R[]>): Promise<{ day: string; row: R }[]> {
  const { ofHour, ofInstant } = localDays(tz);
  let rows = await fetch(13);
  if (rows.some((r) => ofHour(r.at) === null)) rows = await fetch(16);
  return rows.map((row) => ({ day: ofInstant(row.at), row }));
}
