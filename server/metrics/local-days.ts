import { localDate } from '../dates.ts';

const HOUR_MS = 3_600_000;

/**
 * The local day (in `tz`) of UTC instants stored as ISO strings, asking Intl once per UTC hour: an hour
 * that straddles a local midnight (zones with half-hour offsets) is answered per instant.
 */
export function localDays(tz: string) {
  const hours = new Map<string, string | null>();
  /** The local day of the whole UTC hour 'YYYY-MM-DDTHH', or null when a local midnight falls inside it. */
  const ofHour = (hour: string): string | null => {
    let day = hours.get(hour);
    if (day === undefined) {
      const start = Date.parse(`${hour}:00:00.000Z`);
      const first = Number.isNaN(start) ? null : localDate(new Date(start), tz);
      day = first !== null && first === localDate(new Date(start + HOUR_MS - 1), tz) ? first : null;
      hours.set(hour, day);
    }
    return day;
  };
  /** The local day of a UTC instant 'YYYY-MM-DDTHH:MM:SS.sssZ', or of its prefix to the minute or to the hour. */
  const ofInstant = (at: string): string => {
    const utc = at.length === 13 || at.length === 16 || at.endsWith('Z');
    const day = utc ? ofHour(at.slice(0, 13)) : null;
    if (day !== null) return day;
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
