import type { Knex } from 'knex';
import { localDate, quarterHourOf } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { segmentPairs } from './segments.ts';

/**
 * The response counters the dashboards read (DESIGN.md, "Metrics"): survey × local day (reporting time
 * zone) × score in response_daily, the same per event property value in response_segment_daily, and survey
 * × UTC quarter-hour × score in response_quarter_hours (trends in any other zone). Kept in the transaction
 * that stores or changes a response (responses/store.ts, through countResponse).
 */

/** Adds `delta` to the survey × local day × score count that dashboards read. */
async function bumpDailyRollup(trx: Knex, surveyId: number, day: string, score: number, delta: number): Promise<void> {
  await trx('response_daily')
    .insert({ survey_id: surveyId, day, score, count: delta })
    .onConflict(['survey_id', 'day', 'score'])
    .merge({ count: trx.raw('response_daily.count + ?', [delta]) });
}

/** Adds `delta` to the survey × UTC quarter-hour × score count that trends in other time zones read. */
async function bumpQuarterRollup(trx: Knex, surveyId: number, quarter: number, score: number, delta: number): Promise<void> {
  await trx('response_quarter_hours')
    .insert({ survey_id: surveyId, quarter, score, count: delta })
    .onConflict(['survey_id', 'quarter', 'score'])
    .merge({ count: trx.raw('response_quarter_hours.count + ?', [delta]) });
}

/** Adds `delta` to the survey × property × local day × value × score counts that segment breakdowns read. */
async function bumpSegmentRollup(
  trx: Knex,
  surveyId: number,
  day: string,
  pairs: [string, string][],
  score: number,
  delta: number,
): Promise<void> {
  if (pairs.length === 0) return;
  await trx('response_segment_daily')
    .insert(pairs.map(([name, value]) => ({ survey_id: surveyId, name, day, value, score, count: delta })))
    .onConflict(['survey_id', 'name', 'day', 'value', 'score'])
    .merge({ count: trx.raw('response_segment_daily.count + ?', [delta]) });
}

/** Counts a response in (`delta` 1) or out (-1) of every response rollup: by day, by property value, by quarter-hour. */
export async function countResponse(
  trx: Knex,
  response: { survey_id: number; answered_at: Date | string; score: number; properties?: Record<string, unknown> | string | null },
  delta: number,
  reportingTimeZone: string,
): Promise<void> {
  const day = localDate(new Date(response.answered_at), reportingTimeZone);
  await bumpDailyRollup(trx, response.survey_id, day, response.score, delta);
  await bumpQuarterRollup(trx, response.survey_id, quarterHourOf(response.answered_at), response.score, delta);
  await bumpSegmentRollup(trx, response.survey_id, day, segmentPairs(response.properties), response.score, delta);
}

/**
 * Takes a customer's responses out of the segment rollup, for erasure: call it in the erasing transaction
 * before the responses' properties are set to '{}' (they then count under '(none)', as the daily rollup
 * already has them).
 */
export async function uncountCustomerSegments(trx: Knex.Transaction, customerId: number): Promise<void> {
  const rows: { survey_id: number; score: number; answered_at: string; properties: string }[] = await trx('responses')
    .where({ customer_id: customerId })
    .select('survey_id', 'score', 'answered_at', 'properties');
  if (rows.length === 0) return;
  const reportingTimeZone = (await getSettings(trx)).reporting_time_zone;
  for (const r of rows) {
    const day = localDate(new Date(r.answered_at), reportingTimeZone);
    await bumpSegmentRollup(trx, r.survey_id, day, segmentPairs(r.properties), Number(r.score), -1);
  }
}

/** The rows of both rollups for a set of responses (bulk loaders: the demo, rebuildDailyRollup). */
export function rollupRowsOf(
  responses: Iterable<{ survey_id: number; score: number; answered_at: string | Date; properties?: Record<string, unknown> | string | null }>,
  reportingTimeZone: string,
): {
  daily: { survey_id: number; day: string; score: number; count: number }[];
  quarters: { survey_id: number; quarter: number; score: number; count: number }[];
  segments: { survey_id: number; name: string; day: string; value: string; score: number; count: number }[];
} {
  const daily = new Map<string, { survey_id: number; day: string; score: number; count: number }>();
  const quarters = new Map<string, { survey_id: number; quarter: number; score: number; count: number }>();
  const segments = new Map<string, { survey_id: number; name: string; day: string; value: string; score: number; count: number }>();
  for (const r of responses) {
    const day = localDate(new Date(r.answered_at), reportingTimeZone);
    const score = Number(r.score);
    const survey_id = Number(r.survey_id);
    const k = JSON.stringify([survey_id, day, score]);
    const d = daily.get(k) ?? daily.set(k, { survey_id, day, score, count: 0 }).get(k)!;
    d.count++;
    const quarter = quarterHourOf(r.answered_at);
    const qk = `${survey_id}|${quarter}|${score}`;
    const q = quarters.get(qk) ?? quarters.set(qk, { survey_id, quarter, score, count: 0 }).get(qk)!;
    q.count++;
    for (const [name, value] of segmentPairs(r.properties)) {
      const sk = JSON.stringify([survey_id, name, day, value, score]);
      const s = segments.get(sk) ?? segments.set(sk, { survey_id, name, day, value, score, count: 0 }).get(sk)!;
      s.count++;
    }
  }
  return { daily: [...daily.values()], quarters: [...quarters.values()], segments: [...segments.values()] };
}
