import type { Knex } from 'knex';
import { valueRowsOf } from './segments.ts';

/**
 * response_values: one row per response and property value (as the segment rollup writes it), with the
 * response's UTC quarter-hour and score. Filters on several properties intersect these rows by response
 * instead of reading the responses (metrics/queries.ts). Kept in the transaction that stores, rescores or
 * erases a response.
 */

/** The rows of one response. */
export const responseValueRows = (
  responseId: number,
  r: { survey_id: number; answered_at: Date | string; score: number; properties?: Record<string, unknown> | string | null },
) => valueRowsOf({ survey_id: r.survey_id, response_id: responseId, score: r.score }, r.properties, r.answered_at);

/** A response's score changed (within the edit window). */
export async function rescoreResponseValues(trx: Knex, responseId: number, score: number): Promise<void> {
  await trx('response_values').where({ response_id: responseId }).update({ score });
}

/** A customer's responses lose their properties (erasure). */
export async function forgetCustomerResponseValues(trx: Knex, customerId: number): Promise<void> {
  await trx('response_values').whereIn('response_id', trx('responses').where({ customer_id: customerId }).select('id')).del();
}
