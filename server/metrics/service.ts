import type { Knex } from 'knex';
import { localDate } from '../dates.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { getSettings, isTimeZone } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import type { Metric, Survey } from '../surveys/model.ts';
import { addCounts, computeFigures, type Figures, type ScoreCounts } from './compute.ts';
import { parsePeriod, type Period } from './range.ts';
import { eachResponseScore, rollupDayCounts, segmentCounts } from './queries.ts';
import { groupDays, type Interval } from './series.ts';

export type MarkedFigures = Figures & { too_small: boolean };
export type Bucket = { start: string } & MarkedFigures;

export interface MetricsQuery {
  survey: string;
  from?: string;
  to?: string;
  interval: Interval;
  /** Default: the reporting time zone. */
  tz?: string;
  /** A response property to split `overall` by (region, agent …). */
  segment?: string;
}

export interface MetricsResult {
  survey: string;
  metric: Metric;
  tz: string;
  interval: Interval;
  from: string | null;
  to: string | null;
  overall: MarkedFigures;
  series: Bucket[];
  segments?: Record<string, MarkedFigures>;
}

/**
 * Score counts per local day in `tz`: from the daily rollup when it is kept in
 * that zone and the period is whole days (cheap), else from the responses.
 */
export async function dayCounts(db: Knex, survey: Survey, period: Period, tz: string, reportingTz: string): Promise<Map<string, ScoreCounts>> {
  if (tz === reportingTz && period.byDay) return rollupDayCounts(db, survey.id, period);
  const days = new Map<string, ScoreCounts>();
  // The local day of each UTC hour, asked once: null when the hour straddles a local midnight (then per answer).
  const hourDays = new Map<string, string | null>();
  const dayOf = (answeredAt: string): string => {
    if (!answeredAt.endsWith('Z')) return localDate(new Date(answeredAt), tz);
    const hour = answeredAt.slice(0, 13);
    let day = hourDays.get(hour);
    if (day === undefined) {
      const start = Date.parse(`${hour}:00:00.000Z`);
      const first = Number.isNaN(start) ? null : localDate(new Date(start), tz);
      day = first !== null && first === localDate(new Date(start + 3_599_999), tz) ? first : null;
      hourDays.set(hour, day);
    }
    return day ?? localDate(new Date(answeredAt), tz);
  };
  await eachResponseScore(db, survey.id, period, (answeredAt, score) => {
    const day = dayOf(answeredAt);
    const counts = days.get(day) ?? days.set(day, new Map()).get(day)!;
    counts.set(score, (counts.get(score) ?? 0) + 1);
  });
  return days;
}

export function figuresOf(metric: Metric, counts: ScoreCounts, minResponses: number): MarkedFigures {
  const figures = computeFigures(metric, counts);
  return { ...figures, too_small: figures.n < minResponses };
}

/** GET /api/v1/metrics: overall figures, a series of buckets, and optionally segments. */
export async function surveyMetrics(db: Knex, query: MetricsQuery): Promise<MetricsResult> {
  const settings = await getSettings(db);
  const tz = query.tz || settings.reporting_time_zone;
  if (!isTimeZone(tz)) throw ValidationError.field('tz', 'must be an IANA time zone such as Europe/Berlin');
  const period = parsePeriod(query.from, query.to, tz);
  const survey = await findSurveyByKey(db, query.survey);
  if (!survey) throw new NotFoundError(`No survey with the key ${query.survey}`);
  const min = settings.min_bucket_responses;

  const days = await dayCounts(db, survey, period, tz, settings.reporting_time_zone);
  const all: ScoreCounts = new Map();
  for (const counts of days.values()) addCounts(all, counts);
  const series = groupDays(days, query.interval).map(([start, counts]) => ({ start, ...figuresOf(survey.metric, counts, min) }));

  const result: MetricsResult = {
    survey: survey.key,
    metric: survey.metric,
    tz,
    interval: query.interval,
    from: period.from,
    to: period.to,
    overall: figuresOf(survey.metric, all, min),
    series,
  };
  if (query.segment) {
    const segments = await segmentCounts(db, survey.id, query.segment, period, settings.reporting_time_zone);
    result.segments = Object.fromEntries(
      [...segments].sort(([a], [b]) => a.localeCompare(b)).map(([value, counts]) => [value, figuresOf(survey.metric, counts, min)]),
    );
  }
  return result;
}
