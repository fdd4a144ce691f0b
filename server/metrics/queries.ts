import type { Knex } from 'knex';
import { jsonTextField, toCount } from '../db/dialect.ts';
import type { ScoreCounts } from './compute.ts';
import { getSettings } from '../settings/service.ts';
import { localMidnight, type Period } from './range.ts';
import { addDays } from './series.ts';

const addTo = (map: Map<string, ScoreCounts>, key: string, score: number, count: number) => {
  const counts = map.get(key) ?? map.set(key, new Map()).get(key)!;
  counts.set(score, (counts.get(score) ?? 0) + count);
};

/** From the daily rollup (local days in the reporting time zone): day → score → count. */
export async function rollupDayCounts(db: Knex, surveyId: number, period: Period): Promise<Map<string, ScoreCounts>> {
  const q = db('response_daily').where({ survey_id: surveyId }).select('day', 'score', 'count');
  if (period.fromDay) q.where('day', '>=', period.fromDay);
  if (period.toDay) q.where('day', '<=', period.toDay);
  const rows: { day: string; score: number; count: number }[] = await q;
  const days = new Map<string, ScoreCounts>();
  for (const r of rows) if (toCount(r.count) > 0) addTo(days, r.day, Number(r.score), toCount(r.count));
  return days;
}

const inPeriod = (q: Knex.QueryBuilder, period: Period) => {
  if (period.fromIso) q.where('answered_at', '>=', period.fromIso);
  if (period.untilIso) q.where('answered_at', '<', period.untilIso);
  return q;
};

/** From the responses (survey_id, answered_at index): each answer's instant and score, in chunks. */
export async function eachResponseScore(
  db: Knex,
  surveyId: number,
  period: Period,
  visit: (answeredAt: string, score: number) => void,
): Promise<void> {
  const rows: { answered_at: string; score: number }[] = await inPeriod(
    db('responses').where({ survey_id: surveyId }).select('answered_at', 'score'),
    period,
  );
  for (const r of rows) visit(r.answered_at, Number(r.score));
}

/** Property value → score → count, from the responses (any period, any zone); without the property: '(none)'. */
export async function rawSegmentCounts(db: Knex, surveyId: number, property: string, period: Period): Promise<Map<string, ScoreCounts>> {
  // Grouped by the output name: PostgreSQL would see the expression's two bindings as different expressions.
  const rows: { segment_value: unknown; score: number; count: unknown }[] = await inPeriod(
    db('responses')
      .where({ survey_id: surveyId })
      .select({ segment_value: jsonTextField(db, 'properties', property), score: 'score' })
      .count({ count: '*' })
      .groupBy('segment_value', 'score'),
    period,
  );
  const segments = new Map<string, ScoreCounts>();
  for (const r of rows) {
    const value = r.segment_value === null || r.segment_value === undefined ? '(none)' : String(r.segment_value);
    addTo(segments, value, Number(r.score), toCount(r.count));
  }
  return segments;
}

const inDays = (q: Knex.QueryBuilder, period: Period) => {
  if (period.fromDay) q.where('day', '>=', period.fromDay);
  if (period.toDay) q.where('day', '<=', period.toDay);
  return q;
};

/**
 * Property value → score → count from the segment rollup (local days of the reporting time zone, so the
 * period must be whole days there). Responses without the property are the daily rollup's count less the
 * segment rollup's: '(none)'.
 */
export async function rollupSegmentCounts(db: Knex, surveyId: number, property: string, period: Period): Promise<Map<string, ScoreCounts>> {
  const [rows, totals]: [{ value: string; score: number; count: unknown }[], { score: number; count: unknown }[]] = await Promise.all([
    inDays(db('response_segment_daily').where({ survey_id: surveyId, name: property }), period)
      .select('value', 'score')
      .sum({ count: 'count' })
      .groupBy('value', 'score'),
    inDays(db('response_daily').where({ survey_id: surveyId }), period).select('score').sum({ count: 'count' }).groupBy('score'),
  ]);
  const segments = new Map<string, ScoreCounts>();
  const none = new Map<number, number>(totals.map((t) => [Number(t.score), toCount(t.count)]));
  for (const r of rows) {
    const count = toCount(r.count);
    if (count <= 0) continue;
    addTo(segments, String(r.value), Number(r.score), count);
    none.set(Number(r.score), (none.get(Number(r.score)) ?? 0) - count);
  }
  for (const [score, count] of none) if (count > 0) addTo(segments, '(none)', score, count);
  return segments;
}

/** Whether the period's bounds are midnights of local days in `tz` (so rollups kept in `tz` answer it). */
export function wholeDaysIn(period: Period, tz: string): boolean {
  if (!period.byDay) return false;
  if (period.fromDay && period.fromIso !== localMidnight(period.fromDay, tz).toISOString()) return false;
  if (period.toDay && period.untilIso !== localMidnight(addDays(period.toDay, 1), tz).toISOString()) return false;
  return true;
}

/**
 * Property value → score → count; responses without the property count under '(none)'. From the segment
 * rollup when the period is whole days of the reporting time zone (`reportingTz`, else read from the
 * settings), else from the responses.
 */
export async function segmentCounts(db: Knex, surveyId: number, property: string, period: Period, reportingTz?: string): Promise<Map<string, ScoreCounts>> {
  const zone = reportingTz ?? (await getSettings(db)).reporting_time_zone;
  return wholeDaysIn(period, zone) ? rollupSegmentCounts(db, surveyId, property, period) : rawSegmentCounts(db, surveyId, property, period);
}

export interface CommentRow {
  id: number;
  score: number;
  comment: string;
  locale: string | null;
  answered_at: string;
}

/** The newest answers with a comment. */
export function latestComments(db: Knex, surveyId: number, period: Period, limit: number): Promise<CommentRow[]> {
  return inPeriod(
    db('responses')
      .where({ survey_id: surveyId })
      .whereNotNull('comment')
      .whereNot('comment', '')
      .select('id', 'score', 'comment', 'locale', 'answered_at')
      .orderBy([{ column: 'answered_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(limit),
    period,
  );
}

export interface ListedResponseRow {
  id: number;
  survey: string;
  score: number;
  comment: string | null;
  channel: string;
  locale: string | null;
  answered_at: string;
  properties: string;
}

/** A page of responses in id order after `afterId` (keyset pagination). */
export function responsesAfter(
  db: Knex,
  filter: { surveyId: number | null; period: Period; afterId: number; limit: number },
): Promise<ListedResponseRow[]> {
  const q = db('responses')
    .join('surveys', 'surveys.id', 'responses.survey_id')
    .select(
      'responses.id',
      'surveys.key as survey',
      'responses.score',
      'responses.comment',
      'responses.channel',
      'responses.locale',
      'responses.answered_at',
      'responses.properties',
    )
    .where('responses.id', '>', filter.afterId)
    .orderBy('responses.id')
    .limit(filter.limit);
  if (filter.surveyId !== null) q.where('responses.survey_id', filter.surveyId);
  if (filter.period.fromIso) q.where('responses.answered_at', '>=', filter.period.fromIso);
  if (filter.period.untilIso) q.where('responses.answered_at', '<', filter.period.untilIso);
  return q;
}
