import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { toCount } from '../db/dialect.ts';
import { addDays, localMidnight, quarterHourOf } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import type { Survey } from '../surveys/model.ts';
import { computeFigures, type ScoreCounts } from '../metrics/compute.ts';
import { periodAt, periodEnd, periodLabel, periodStart, type PeriodSpan } from './rate.ts';
import { ratesFor, type RateInForce } from './service.ts';

/**
 * What the survey page shows of a precision target (issue 17): the rate in force per segment with the
 * margin it is expected to reach, and the margin each past period actually reached (per segment value).
 */

/** How many periods before the current one the page shows. */
const PAST_PERIODS = 6;

interface PeriodMargin {
  start: string;
  label: string;
  /** The current period, still running. */
  current: boolean;
  /** Per segment value ('' the survey as a whole): responses, the score and the margin reached. */
  segments: { segment: string; n: number; score: number | null; margin: number | null; met: boolean }[];
}

export interface PrecisionStatus {
  rates: readonly RateInForce[];
  periods: PeriodMargin[];
}

/** The periods shown: PAST_PERIODS before the current one, and the current one, oldest first. */
function periodsUpTo(current: PeriodSpan, period: NonNullable<Survey['precision_target']>['period']): { start: string; end: string }[] {
  const starts = [current.start];
  for (let k = 0; k < PAST_PERIODS; k++) starts.unshift(periodStart(period, addDays(starts[0], -1)));
  return starts.map((start) => ({ start, end: periodEnd(period, start) }));
}

/** Score counts per period index (and segment value) of the survey's responses, summed in the database. */
async function countsByPeriod(db: Knex, survey: Survey, bounds: number[], segment: string | undefined): Promise<Map<string, ScoreCounts>> {
  for (const b of bounds) if (!Number.isInteger(b)) throw new Error('period bounds must be whole quarter-hours');
  // The period index of a quarter-hour: the bounds are integers computed here, written into the statement.
  const index = `CASE ${bounds.slice(1).map((b, i) => `WHEN quarter < ${b} THEN ${i}`).join(' ')} END`;
  const within = (q: Knex.QueryBuilder) => q.where('survey_id', survey.id).where('quarter', '>=', bounds[0]).where('quarter', '<', bounds[bounds.length - 1]);
  const rows: { value: string; period: unknown; score: unknown; count: unknown }[] = segment
    ? await within(db('response_values').where({ name: segment }))
        .select('value', db.raw(`${index} as period`), 'score')
        .count({ count: '*' })
        .groupBy('value', 'period', 'score')
    : await within(db('response_quarter_hours'))
        .select(db.raw("'' as value"), db.raw(`${index} as period`), 'score')
        .sum({ count: 'count' })
        .groupBy('period', 'score');
  const out = new Map<string, ScoreCounts>();
  for (const r of rows) {
    const key = `${Number(r.period)}\n${r.value}`;
    const counts = out.get(key) ?? out.set(key, new Map()).get(key)!;
    counts.set(Number(r.score), (counts.get(Number(r.score)) ?? 0) + toCount(r.count));
  }
  return out;
}

/** The precision target's status for the survey page; null for a survey without one. */
export async function precisionStatus(deps: Pick<Deps, 'db' | 'clock'>, survey: Survey): Promise<PrecisionStatus | null> {
  const target = survey.precision_target;
  if (!target) return null;
  const tz = (await getSettings(deps.db)).reporting_time_zone;
  const rates = await ratesFor(deps, survey);
  const current = periodAt(target.period, deps.clock.now(), tz);
  const spans = periodsUpTo(current, target.period);
  const bounds = [...spans.map((s) => quarterHourOf(localMidnight(s.start, tz))), quarterHourOf(localMidnight(spans[spans.length - 1].end, tz))];
  const [whole, parts] = await Promise.all([countsByPeriod(deps.db, survey, bounds, undefined), target.segment ? countsByPeriod(deps.db, survey, bounds, target.segment) : null]);
  const values = [...new Set([...(parts?.keys() ?? [])].map((key) => key.split('\n')[1]))].sort();
  const periods = spans.map((span, i) => {
    const figuresOf = (segment: string) => {
      const figures = computeFigures(survey.metric, (segment ? parts : whole)?.get(`${i}\n${segment}`) ?? new Map());
      return { segment, n: figures.n, score: figures.score, margin: figures.moe95, met: figures.moe95 !== null && figures.moe95 <= target.margin };
    };
    return { start: span.start, label: periodLabel(target.period, span.start), current: span.start === current.start, segments: ['', ...values].map(figuresOf) };
  });
  return { rates, periods };
}
