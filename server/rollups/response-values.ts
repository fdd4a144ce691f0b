import type { Knex } from 'knex';
import { quarterHourOf } from '../dates.ts';
import { segmentPairs } from './segments.ts';

/**
 * response_values: one row per response and property value (as the segment rollup writes it), with the
 * response's UTC quarter-hour and score. Filters on several properties intersect these rows by response
 * instead of reading the responses (metrics/queries.ts). Kept in the transaction that stores, rescores or
 * erases a response.
 */

export interface ResponseValueRow {
  survey_id: number;
  name: string;
  value: string;
  quarter: number;
  response_id: number;
  score: number;
}

/** The rows of one response. */
export function responseValueRows(
  responseId: number,
  response: { survey_id: number; answered_at: Date | string; score: number; properties?: Record<string, unknown> | string | null },
): ResponseValueRow[] {
  const quarter = quarterHourOf(response.answered_at);
  return segmentPairs(response.properties).map(([name, value]) => ({
    survey_id: response.survey_id,
    name,
    value,
    quarter,
    response_id: responseId,
    score: response.score,
  }));
}

/** Writes rows in chunks that stay under SQLite's bound-parameter limit (bulk loaders: the demo). */
export async function insertResponseValues(trx: Knex, rows: ResponseValueRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 150) await trx('response_values').insert(rows.slice(i, i + 150));
}

/** A response's score changed (within the edit window). */
export async function rescoreResponseValues(trx: Knex, responseId: number, score: number): Promise<void> {
  await trx('response_values').where({ response_id: responseId }).update({ score });
}

/** A customer's responses lose their properties (erasure). */
export async function forgetCustomerResponseValues(trx: Knex, customerId: number): Promise<void> {
  await trx('response_values').whereIn('response_id', trx('responses').where({ customer_id: customerId }).select('id')).del();
}
