import type { Knex } from 'knex';
import type { Statements } from '../db/statements.ts';
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

/** Writes property values of responses just stored: one statement per 500 rows (a response has at most 50). */
export async function insertResponseValues(sql: Statements, rows: readonly ValueRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const slice = rows.slice(i, i + ROWS_PER_STATEMENT);
    await sql.run(
      `INSERT INTO response_values (survey_id, response_id, score, name, value, quarter) VALUES ${slice.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      slice.flatMap((r) => [r.survey_id, r.response_id, r.score, r.name, r.value, r.quarter]),
    );
  }
}

type ValueRow = ReturnType<typeof responseValueRows>[number];

/** Rows of one insert at most (6 values each: well under either database's bound parameters). */
const ROWS_PER_STATEMENT = 500;

/**
 * The property values of the responses stored in a transaction, written together before it commits (one
 * statement for them all). Nothing reads them in between.
 */
export class ResponseValues {
  private rows: ValueRow[] = [];

  add(rows: readonly ValueRow[]): void {
    for (const row of rows) this.rows.push(row);
  }

  /** A response's score changed: its rows not yet written take it. False when it has none here (its rows, if any, are in the table). */
  rescore(responseId: number, score: number): boolean {
    let found = false;
    this.rows = this.rows.map((row) => (row.response_id === responseId ? ((found = true), { ...row, score }) : row));
    return found;
  }

  /** Writes the rows (and forgets them). */
  async write(sql: Statements): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    await insertResponseValues(sql, rows);
  }
}

/** A response's score changed (within the edit window). */
export async function rescoreResponseValues(sql: Statements, responseId: number, score: number): Promise<void> {
  await sql.run('UPDATE response_values SET score = ? WHERE response_id = ?', [score, responseId]);
}

/** A customer's responses lose their properties (erasure). */
export async function forgetCustomerResponseValues(trx: Knex, customerId: number): Promise<void> {
  await trx('response_values').whereIn('response_id', trx('responses').where({ customer_id: customerId }).select('id')).del();
}
