import type { Knex } from 'knex';
import { localDate, quarterHourOf } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { segmentPairs } from './segments.ts';
import { statementsOf, type Statements } from '../db/statements.ts';

/**
 * The response counters the dashboards read (DESIGN.md, "Metrics"): survey × local day (reporting time
 * zone) × score in response_daily, the same per event property value in response_segment_daily, and survey
 * × UTC quarter-hour × score in response_quarter_hours (trends in any other zone). Kept in the transaction
 * that stores or changes a response (responses/store.ts, through countResponses).
 */

/** A response as the rollups count it. */
interface Counted {
  survey_id: number;
  answered_at: Date | string;
  score: number;
  properties?: Record<string, unknown> | string | null;
}

/** Rows of one rollup upsert at most (6 values each: well under either database's bound parameters). */
const ROWS_PER_STATEMENT = 500;

/** Adds a count to each row of the survey × property × local day × value × score rollup that segment breakdowns read; the rows' keys differ (PostgreSQL refuses a row hit twice in one statement). */
async function bumpSegments(sql: Statements, rows: readonly { survey_id: number; name: string; day: string; value: string; score: number; count: number }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const slice = rows.slice(i, i + ROWS_PER_STATEMENT);
    await sql.run(
      `INSERT INTO response_segment_daily (survey_id, name, day, value, score, count) VALUES ${slice.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (survey_id, name, day, value, score) DO UPDATE SET count = response_segment_daily.count + excluded.count`,
      slice.flatMap((r) => [r.survey_id, r.name, r.day, r.value, r.score, r.count]),
    );
  }
}

/**
 * Changes to the response rollups gathered in a transaction and written together before it commits, one
 * statement per rollup, the changes to one row summed (the answers stored together count in one statement
 * each; a rescore counts the old score out and the new one in at once). Rows are written in key order, so
 * transactions that bump the same rows take them in the same order.
 */
export class ResponseCounts {
  private readonly daily = new Map<string, { survey_id: number; day: string; score: number; count: number }>();
  private readonly quarters = new Map<string, { survey_id: number; quarter: number; score: number; count: number }>();
  private readonly segments = new Map<string, { survey_id: number; name: string; day: string; value: string; score: number; count: number }>();

  /** Counts a response in (`delta` 1) or out (-1) of every response rollup: by day, by quarter-hour, by property value. */
  add(response: Counted, delta: number, reportingTimeZone: string): void {
    const survey_id = Number(response.survey_id);
    const score = Number(response.score);
    const day = localDate(new Date(response.answered_at), reportingTimeZone);
    const quarter = quarterHourOf(response.answered_at);
    const dk = JSON.stringify([survey_id, day, score]);
    (this.daily.get(dk) ?? this.daily.set(dk, { survey_id, day, score, count: 0 }).get(dk)!).count += delta;
    const qk = JSON.stringify([survey_id, quarter, score]);
    (this.quarters.get(qk) ?? this.quarters.set(qk, { survey_id, quarter, score, count: 0 }).get(qk)!).count += delta;
    for (const [name, value] of segmentPairs(response.properties)) {
      const sk = JSON.stringify([survey_id, name, day, value, score]);
      (this.segments.get(sk) ?? this.segments.set(sk, { survey_id, name, day, value, score, count: 0 }).get(sk)!).count += delta;
    }
  }

  /** Writes what was counted (and forgets it). */
  async write(sql: Statements): Promise<void> {
    const inOrder = <R>(rows: Map<string, R>) => [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    const daily = inOrder(this.daily);
    const quarters = inOrder(this.quarters);
    const segments = inOrder(this.segments);
    this.daily.clear();
    this.quarters.clear();
    this.segments.clear();
    for (let i = 0; i < daily.length; i += ROWS_PER_STATEMENT) {
      const slice = daily.slice(i, i + ROWS_PER_STATEMENT);
      await sql.run(
        `INSERT INTO response_daily (survey_id, day, score, count) VALUES ${slice.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (survey_id, day, score) DO UPDATE SET count = response_daily.count + excluded.count`,
        slice.flatMap((r) => [r.survey_id, r.day, r.score, r.count]),
      );
    }
    for (let i = 0; i < quarters.length; i += ROWS_PER_STATEMENT) {
      const slice = quarters.slice(i, i + ROWS_PER_STATEMENT);
      await sql.run(
        `INSERT INTO response_quarter_hours (survey_id, quarter, score, count) VALUES ${slice.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (survey_id, quarter, score) DO UPDATE SET count = response_quarter_hours.count + excluded.count`,
        slice.flatMap((r) => [r.survey_id, r.quarter, r.score, r.count]),
      );
    }
    await bumpSegments(sql, segments);
  }

  /** Only the segment counts (erasure). */
  segmentRows() {
    return [...this.segments.values()];
  }
}

/**
 * Counts responses in (`delta` 1) or out (-1) of every response rollup (by day, by quarter-hour, by
 * property value), in the caller's transaction, now: one statement per rollup for all the changes together.
 */
export async function countResponses(sql: Statements, changes: readonly { response: Counted; delta: number }[], reportingTimeZone: string): Promise<void> {
  const counts = new ResponseCounts();
  for (const { response, delta } of changes) counts.add(response, delta, reportingTimeZone);
  await counts.write(sql);
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
  const counts = new ResponseCounts();
  for (const response of rows) counts.add(response, -1, reportingTimeZone);
  await bumpSegments(await statementsOf(trx), counts.segmentRows());
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
