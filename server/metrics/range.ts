import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import {
  DATE_RANGE_MESSAGE,
  INSTANT_RANGE_MESSAGE,
  QUARTER_HOUR_MS,
  addDays,
  calendarDateInRange,
  daysBetween,
  instantInRange,
  isCalendarDate,
  isIsoInstant,
  localMidnight,
  offsetSpans,
  type OffsetSpan,
} from '../dates.ts';

/**
 * A period asked for as local dates (inclusive) in a time zone, or as ISO
 * instants. `fromIso`/`untilIso` bound answered_at (from inclusive, until
 * exclusive); `fromDay`/`toDay` are set when both ends fall on local days,
 * so the daily rollup can answer.
 */
export interface Period {
  from: string | null;
  to: string | null;
  fromIso: string | null;
  untilIso: string | null;
  fromDay: string | null;
  toDay: string | null;
  /** Both given ends are local dates (or absent): the rollup can answer. */
  byDay: boolean;
}


type Bound = { day: string | null; iso: string };

const NOT_A_PERIOD_END = 'must be a date (YYYY-MM-DD) or an ISO 8601 instant with an offset';

/** What is wrong with a from or to parameter (a date or an instant), or null when it is fine. */
function periodEndProblem(value: string): string | null {
  if (isCalendarDate(value)) return calendarDateInRange(value) ? null : DATE_RANGE_MESSAGE;
  const at = new Date(value);
  if (!isIsoInstant(value)) return NOT_A_PERIOD_END;
  return instantInRange(at) ? null : INSTANT_RANGE_MESSAGE;
}

/**
 * An optional from or to query parameter: a local date (YYYY-MM-DD) or an ISO 8601 instant with an
 * offset, within the dates a parameter may name (server/dates.ts); blank means not given.
 */
export const periodEndParam = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim() || undefined : v),
  z
    .string(NOT_A_PERIOD_END)
    .max(40, NOT_A_PERIOD_END)
    .superRefine((value, ctx) => {
      const problem = periodEndProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
);

function parseBound(value: string | undefined, field: 'from' | 'to', tz: string): Bound | null {
  if (value === undefined || value === '') return null;
  if (isCalendarDate(value)) {
    const day = field === 'from' ? value : addDays(value, 1);
    const midnight = localMidnight(day, tz);
    // Parameters are checked against the shared range before they get here; a computed period can
    // reach a little beyond it, never as far as the years Date cannot hold.
    if (Number.isNaN(midnight.getTime())) throw ValidationError.field(field, DATE_RANGE_MESSAGE);
    return { day: value, iso: midnight.toISOString() };
  }
  const at = new Date(value);
  if (!isIsoInstant(value)) throw ValidationError.field(field, NOT_A_PERIOD_END);
  const end = new Date(at.getTime() + (field === 'to' ? 1 : 0));
  if (Number.isNaN(end.getTime())) throw ValidationError.field(field, INSTANT_RANGE_MESSAGE);
  // An instant `to` is inclusive: answered_at < to + 1 ms.
  return { day: null, iso: end.toISOString() };
}

export function parsePeriod(from: string | undefined, to: string | undefined, tz: string): Period {
  const f = parseBound(from, 'from', tz);
  const t = parseBound(to, 'to', tz);
  if (f && t && f.iso >= t.iso) throw ValidationError.field('to', 'must not be before from');
  return {
    from: from || null,
    to: to || null,
    fromIso: f?.iso ?? null,
    untilIso: t?.iso ?? null,
    fromDay: f?.day ?? null,
    toDay: t?.day ?? null,
    byDay: (!f || f.day !== null) && (!t || t.day !== null),
  };
}

/**
 * The period of equal length that ends where `period` begins: the same number of local days before a
 * period of dates, the same span before a period of instants; null when either end is open.
 */
export function previousPeriod(period: Period, tz: string): Period | null {
  if (!period.fromIso || !period.untilIso) return null;
  if (period.fromDay && period.toDay) {
    const days = daysBetween(period.fromDay, period.toDay);
    return parsePeriod(addDays(period.fromDay, -days), addDays(period.fromDay, -1), tz);
  }
  const span = Date.parse(period.untilIso) - Date.parse(period.fromIso);
  const from = new Date(Date.parse(period.fromIso) - span).toISOString();
  // `to` is inclusive: the last millisecond before `period` begins.
  return parsePeriod(from, new Date(Date.parse(period.fromIso) - 1).toISOString(), tz);
}

/** One period from the start of `first` to the end of `second` (which begins where `first` ends). */
export function joinPeriods(first: Period, second: Period): Period {
  return {
    from: first.from,
    to: second.to,
    fromIso: first.fromIso,
    untilIso: second.untilIso,
    fromDay: first.fromDay,
    toDay: second.toDay,
    byDay: first.byDay && second.byDay,
  };
}

/** Whether the rollups (kept per local day of the reporting time zone) can answer a period bucketed in `tz`. */
export const rollupsAnswer = (period: Period, tz: string, reportingTz: string): boolean => tz === reportingTz && period.byDay;

/** A period as UTC quarter-hours [from, until), with the zone's offsets through it (the quarter-hour rollups' key). */
export interface QuarterHours {
  from: number;
  until: number;
  spans: OffsetSpan[];
}

/**
 * The period in quarter-hours, when the quarter-hour rollups can answer it in `tz`: both ends given and on
 * whole quarter-hours (local midnights are), and every quarter-hour of it on one local day; else null.
 */
export function quarterHoursOf(period: Period, tz: string): QuarterHours | null {
  const bounds = quarterBounds(period);
  const spans = bounds && offsetSpans(tz, bounds.from, bounds.until);
  return bounds && spans ? { ...bounds, spans } : null;
}

/** The period as UTC quarter-hours [from, until) when both ends are given and on whole quarter-hours; else null. */
export function quarterBounds(period: Period): { from: number; until: number } | null {
  if (!period.fromIso || !period.untilIso) return null;
  const fromMs = Date.parse(period.fromIso);
  const untilMs = Date.parse(period.untilIso);
  if (fromMs % QUARTER_HOUR_MS !== 0 || untilMs % QUARTER_HOUR_MS !== 0) return null;
  return { from: fromMs / QUARTER_HOUR_MS, until: untilMs / QUARTER_HOUR_MS };
}
