import { TZDate, tzOffset } from '@date-fns/tz';
import { addDays as addDaysTo, addMonths, differenceInCalendarDays, startOfISOWeek, startOfMonth } from 'date-fns';

/**
 * Dates and numbers as people read them: local calendar dates of instants,
 * instants in a time zone and numbers for a locale (en, de), with cached Intl
 * formatters (they are slow to build). The one place that formats them.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The instant at which the local calendar date `date` (YYYY-MM-DD) begins in `timeZone`. */
export function localMidnight(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(new TZDate(y, m - 1, d, timeZone).getTime());
}

const isoInstantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
/** An ISO 8601 instant with a zone offset (2027-06-30T18:00:00Z) that names a real moment. */
export const isIsoInstant = (text: string): boolean => isoInstantPattern.test(text) && !Number.isNaN(Date.parse(text));

const DAY_MS = 86_400_000;
/** Per zone: the zone's offset (minutes) through each UTC day by its number, or null when it changes that day. */
const dayOffsets = new Map<string, Map<number, number | null>>();
/** UTC days kept per zone (some 270 years): past that the zone's days are forgotten and read again. */
const DAYS_KEPT = 100_000;

/**
 * The local date (YYYY-MM-DD) on which `at` falls in `timeZone`. Asking Intl for every instant is slow
 * (a trend in another zone reads every response), so the zone's offset is asked twice per UTC day, at its
 * start and its end, and when it is the same, every instant of that day is moved by it; on a day the
 * offset changes, Intl answers for each instant.
 */
export function localDate(at: Date, timeZone: string): string {
  const ms = at.getTime();
  const offset = Number.isNaN(ms) ? null : dayOffset(timeZone, Math.floor(ms / DAY_MS));
  if (offset === null) return formatterFor(timeZone).format(at);
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
}

/** The zone's offset (minutes) through the whole UTC day numbered `day` (days since 1970-01-01), or null when it changes that day. */
function dayOffset(timeZone: string, day: number): number | null {
  let offsets = dayOffsets.get(timeZone);
  if (!offsets || offsets.size >= DAYS_KEPT) dayOffsets.set(timeZone, (offsets = new Map()));
  let offset = offsets.get(day);
  if (offset === undefined) {
    const start = tzOffset(timeZone, new Date(day * DAY_MS));
    const end = tzOffset(timeZone, new Date(day * DAY_MS + DAY_MS - 1));
    offset = start === end && Number.isFinite(start) ? start : null;
    offsets.set(day, offset);
  }
  return offset;
}

/** The zone's offset (minutes) through the whole UTC date `date` (YYYY-MM-DD), or null when it changes that day. */
export const offsetThroughUtcDate = (timeZone: string, date: string): number | null => dayOffset(timeZone, Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS));

export const QUARTER_HOUR_MS = 900_000;
const QUARTERS_A_DAY = 96;

/** The UTC quarter-hour an instant falls in, numbered from 1970-01-01T00:00Z (the quarter-hour rollups' key). */
export const quarterHourOf = (at: Date | string): number => Math.floor(new Date(at).getTime() / QUARTER_HOUR_MS);

/** From quarter-hour `from` on (until the next span's `from`), the zone's clock is `offset` minutes from UTC. */
export interface OffsetSpan {
  from: number;
  offset: number;
}

/**
 * The zone's offsets over the quarter-hours [from, until), as spans of one offset each (a span per clock
 * change): the local day of quarter-hour q in a span is floor((q × 15 + offset) / 1440) days from
 * 1970-01-01. Null when the zone's clock moves by other than whole quarter-hours in that time (historic
 * local mean times), so that a quarter-hour has no single local day. The offset is asked twice per UTC day
 * (cached), and per quarter-hour only on a day it changes.
 */
export function offsetSpans(timeZone: string, from: number, until: number): OffsetSpan[] | null {
  const spans: OffsetSpan[] = [];
  const add = (quarter: number, offset: number) => {
    if (!Number.isFinite(offset) || offset % 15 !== 0) return false;
    if (spans.length === 0 || spans[spans.length - 1].offset !== offset) spans.push({ from: quarter, offset });
    return true;
  };
  for (let day = Math.floor(from / QUARTERS_A_DAY); day * QUARTERS_A_DAY < until; day++) {
    const start = Math.max(from, day * QUARTERS_A_DAY);
    const offset = dayOffset(timeZone, day);
    if (offset !== null) {
      if (!add(start, offset)) return null;
      continue;
    }
    for (let q = start; q < Math.min(until, (day + 1) * QUARTERS_A_DAY); q++) {
      const first = tzOffset(timeZone, new Date(q * QUARTER_HOUR_MS));
      if (first !== tzOffset(timeZone, new Date((q + 1) * QUARTER_HOUR_MS - 1)) || !add(q, first)) return null;
    }
  }
  return spans;
}

/** The date (YYYY-MM-DD) of a day numbered from 1970-01-01. */
export const dateOfDayNumber = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The locales dates and numbers are shown in; anything else reads as English. */
const displayLocales = ['en', 'de'] as const;
export type DisplayLocale = (typeof displayLocales)[number];

export const displayLocale = (locale: string | null | undefined): DisplayLocale => (locale === 'de' ? 'de' : 'en');

/** The reader's locale for dates and numbers: the page's language (res.locals.locale: the user's choice, else the browser's), English otherwise. */
export const readerLocale = (locals: Record<string, unknown>): DisplayLocale =>
  displayLocale((locals.locale as string | undefined) ?? (locals.user as { locale?: string | null } | undefined)?.locale);

/** How a signed-in page shows instants: in the reporting time zone, named, in the reader's locale. */
export const pageInstants = (timeZone: string, locals: Record<string, unknown>): InstantFormat => ({ timeZone, locale: readerLocale(locals), zone: true });

/** English as in Britain (day month year, 24-hour clock); German as in Germany. */
const intlLocale = (locale: string | null | undefined): string => (displayLocale(locale) === 'de' ? 'de-DE' : 'en-GB');

type DateStyle = 'date' | 'datetime' | 'time' | 'long';

export interface InstantFormat {
  timeZone: string;
  locale?: string | null;
  /** date "23 Nov 2026"; datetime "23 Nov 2026, 11:00"; time "11:00"; long "23 November 2026, 11:00 CET". */
  style?: DateStyle;
  /** Add the zone's short name ("CET", "MEZ", "UTC"), so that "11:00" is not misread. */
  zone?: boolean;
}

const styles: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  date: { day: 'numeric', month: 'short', year: 'numeric' },
  datetime: { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  long: { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
};

const instantFormats = new Map<string, Intl.DateTimeFormat>();

function instantFormatter(timeZone: string, locale: string, style: DateStyle, zone: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${locale}|${style}|${zone}`;
  let f = instantFormats.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = { ...styles[style], timeZone, ...(zone ? { timeZoneName: 'short' } : {}) };
    try {
      f = new Intl.DateTimeFormat(locale, options);
    } catch {
      // A time zone this runtime does not know (a customer's, say): UTC, named.
      f = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC', timeZoneName: 'short' });
    }
    instantFormats.set(key, f);
  }
  return f;
}

/**
 * An instant as people in `timeZone` read it, for `locale`: "23 Nov 2026, 11:00"
 * (en), "23. Nov. 2026, 11:00" (de). Empty for no instant; text that is not an
 * instant comes back as it is.
 */
export function formatInstant(at: Date | string | null | undefined, format: InstantFormat): string {
  if (at === null || at === undefined || at === '') return '';
  const instant = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(instant.getTime())) return String(at);
  return instantFormatter(format.timeZone, intlLocale(format.locale), format.style ?? 'datetime', format.zone ?? false).format(instant);
}

/** A local calendar date 'YYYY-MM-DD' as a date for `locale`: "23 Nov 2026", "23. Nov. 2026". */
export function formatLocalDate(date: string, locale: string | null | undefined): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return date;
  return formatInstant(`${date}T12:00:00Z`, { timeZone: 'UTC', locale, style: 'date' });
}

const numberFormats = new Map<string, Intl.NumberFormat>();

/** A number for `locale`: 5.2 → "5.2" (en), "5,2" (de). Options as Intl.NumberFormat takes them. */
export function formatNumber(value: number, locale: string | null | undefined, options: Intl.NumberFormatOptions = {}): string {
  const tag = intlLocale(locale);
  const key = `${tag}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(tag, options)));
  return f.format(value);
}

/** A number with exactly `digits` decimals for `locale`: (5, 1, 'de') → "5,0". */
export const formatFixed = (value: number, digits: number, locale: string | null | undefined): string =>
  formatNumber(value, locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });

/**
 * The dates and instants a parameter may name (a filter's from and to, an event's occurred_at):
 * 2000-01-01 to 2100-12-31, both included; instants from 2000-01-01T00:00:00Z to the end of
 * 2100 in UTC. Touchpoint holds nothing outside it, and date arithmetic stays far from the limits
 * of Date (year 275760) and of four-digit years. The one place that knows the range.
 */
export const FIRST_DATE = '2000-01-01';
const LAST_DATE = '2100-12-31';
const FIRST_INSTANT_MS = Date.parse(`${FIRST_DATE}T00:00:00.000Z`);
const LAST_INSTANT_MS = Date.parse(`${LAST_DATE}T23:59:59.999Z`);

/** The words an out-of-range date or instant is refused with (after the parameter's name). */
export const DATE_RANGE_MESSAGE = `must be a date between ${FIRST_DATE} and ${LAST_DATE}`;
export const INSTANT_RANGE_MESSAGE = `must be an instant between ${FIRST_DATE}T00:00:00Z and ${LAST_DATE}T23:59:59Z`;

/*
 * Calendar arithmetic on local dates written YYYY-MM-DD (days, weeks and months of the reporting time
 * zone, already taken from instants): date-fns on the date at noon of the process's own clock (noon is
 * never skipped or repeated by a clock change, and date-fns keeps the time of day), without a time-zone
 * object: the dashboards do this for every day of every bucket, and a TZDate asks Intl each time.
 */
const civil = (date: string): Date => new Date(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)), 12);
const two = (n: number) => (n < 10 ? `0${n}` : String(n));
const civilText = (d: Date): string => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;

/** The calendar date `days` after (or before) `date`. */
export const addDays = (date: string, days: number): string => civilText(addDaysTo(civil(date), days));
/** The calendar date `months` after `date`. */
export const addMonthsDate = (date: string, months: number): string => civilText(addMonths(civil(date), months));
/** The Monday of the ISO week holding `date`. */
export const startOfIsoWeekDate = (date: string): string => civilText(startOfISOWeek(civil(date)));
/** The first of the month holding `date`. */
export const startOfMonthDate = (date: string): string => civilText(startOfMonth(civil(date)));
/** How many days from `from` to `to`, both counted (2026-01-01 to 2026-01-01 is 1). */
export const daysBetween = (from: string, to: string): number => differenceInCalendarDays(civil(to), civil(from)) + 1;

/** A real calendar date written YYYY-MM-DD (no 30 February). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const at = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value;
}

/** A calendar date (YYYY-MM-DD) from FIRST_DATE to LAST_DATE. */
export const calendarDateInRange = (value: string): boolean => isCalendarDate(value) && value >= FIRST_DATE && value <= LAST_DATE;

/** An instant from the first moment of FIRST_DATE to the last of LAST_DATE, in UTC. */
export function instantInRange(at: Date | number): boolean {
  const ms = typeof at === 'number' ? at : at.getTime();
  return Number.isFinite(ms) && ms >= FIRST_INSTANT_MS && ms <= LAST_INSTANT_MS;
}
