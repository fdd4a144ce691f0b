import { z } from 'zod';
import { addDays, daysBetween, localDate } from '../dates.ts';
import { ValidationError } from '../errors.ts';
import { blankToUndefined, calendarDateParam } from '../validation.ts';
import { scoreGroupBounds, type Metric } from '../surveys/model.ts';
import { intervals, type Interval } from '../metrics/series.ts';
import { propertyNameSchema, whereSchema } from '../metrics/property-filter.ts';
import { answerChannels, sourceChoices } from '../metrics/sources.ts';
import { t, type Locale } from '../i18n/index.ts';

const DEFAULT_DAYS = 90;

export const presets = ['7d', '30d', '90d', 'quarter'] as const;
export type Preset = (typeof presets)[number];
/** A preset's link text in the page's language: "Last 7 days", "This quarter". */
export function presetLabel(locale: Locale, preset: Preset): string {
  if (preset === '7d') return t(locale, 'dashboard.preset_last_week');
  if (preset === '30d') return t(locale, 'dashboard.preset_last_month');
  if (preset === '90d') return t(locale, 'dashboard.preset_last_quarter');
  return t(locale, 'dashboard.preset_this_quarter');
}

/** The colour tone of each score group (public/css/app.css --score-low, --score-mid, --score-high): the lowest group, the middle, the highest. */
const groupTones: Record<string, 'low' | 'mid' | 'high'> = { detractor: 'low', passive: 'mid', promoter: 'high', low: 'low', mid: 'mid', high: 'high' };

export interface ScoreGroup {
  /** "Detractors (0–6)" */
  label: string;
  /** "Detractors" */
  name: string;
  tone: 'low' | 'mid' | 'high';
  min: number;
  max: number;
}

/** Comment groups of a metric (surveys/model.ts scoreGroupBounds), with their labels in the page's language ("Detractors (0–6)", de "Kritiker (0–6)"). */
export function scoreGroups(metric: Metric, locale: Locale = 'en'): Record<string, ScoreGroup> {
  const bounds = scoreGroupBounds[metric];
  return Object.fromEntries(
    Object.entries(bounds).map(([group, b]) => {
      const name = t(locale, 'dashboard.group', { group });
      const range = b.min === b.max ? String(b.min) : `${b.min}–${b.max}`;
      return [group, { label: t(locale, 'dashboard.group_label', { group: name, range }), name, tone: groupTones[group], ...b }];
    }),
  );
}

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

/** The filters of the dashboard pages, all in the URL so a view can be bookmarked. */
export const dashboardQuerySchema = z.object({
  from: calendarDateParam,
  to: calendarDateParam,
  preset: z.preprocess(blankToUndefined, z.enum(presets, 'must be 7d, 30d, 90d or quarter').optional()),
  interval: z.preprocess(blankToUndefined, z.enum(intervals, 'must be day, week or month').optional()),
  segment: z.preprocess(blankToUndefined, propertyNameSchema.optional()),
  where: whereSchema,
  source: z.preprocess(blankToUndefined, z.enum(sourceChoices, 'must be all, identified or anonymous').optional()),
  channel: z.preprocess(blankToUndefined, z.enum(answerChannels, 'must be email, web, link or import').optional()),
  group: z.preprocess(blankToUndefined, z.enum(['detractor', 'passive', 'promoter', 'low', 'mid', 'high'], 'is not a score group').optional()),
  q: optionalText(100),
});
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

export interface DayRange {
  from: string;
  to: string;
  preset: Preset | null;
  /** Days in the range, both ends included. */
  days: number;
}


/** From a preset (relative to today, so a bookmark stays current), else from/to, else the last 90 days. */
export function dayRange(query: { from?: string; to?: string; preset?: Preset }, now: Date, tz: string): DayRange {
  const today = localDate(now, tz);
  let from: string;
  let to: string;
  if (query.preset) {
    to = today;
    if (query.preset === 'quarter') {
      const month = Number(today.slice(5, 7));
      from = `${today.slice(0, 4)}-${String(month - ((month - 1) % 3)).padStart(2, '0')}-01`;
    } else {
      from = addDays(today, -(Number.parseInt(query.preset, 10) - 1));
    }
  } else {
    to = query.to ?? today;
    from = query.from ?? addDays(to, -(DEFAULT_DAYS - 1));
  }
  if (from > to) throw ValidationError.field('to', 'must not be before from');
  if (daysBetween(from, to) > 3700) throw ValidationError.field('from', 'must be at most ten years before to');
  return { from, to, preset: query.preset ?? null, days: daysBetween(from, to) };
}

/** The period of equal length just before `range`. */
export function previousRange(range: DayRange): { from: string; to: string } {
  return { from: addDays(range.from, -range.days), to: addDays(range.from, -1) };
}

/** Day buckets up to a month, weeks up to half a year, months beyond. */
export function defaultInterval(days: number): Interval {
  if (days <= 31) return 'day';
  if (days <= 183) return 'week';
  return 'month';
}
