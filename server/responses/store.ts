import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import { countResponse } from '../rollups/responses.ts';
import { rescoreResponseValues, responseValueRows } from '../rollups/response-values.ts';

export interface NewResponse {
  survey_id: number;
  invitation_id?: number | null;
  customer_id?: number | null;
  score: number;
  comment?: string | null;
  /** email (the invitation's links), link (the public web link), web (the widget), import. */
  channel: 'email' | 'link' | 'web' | 'import';
  /** invitation, signed (a signed web link), anonymous (the public web link), import; default: import for imports, else invitation. */
  source?: 'invitation' | 'signed' | 'anonymous' | 'import';
  /** A signed web link's hash: it takes one response. */
  link_key?: string | null;
  /** An import's key for the answer: importing it again adds nothing. */
  import_key?: string | null;
  locale?: string | null;
  answered_at: Date;
  properties?: Record<string, unknown>;
}

export interface ResponseRow {
  id: number;
  survey_id: number;
  invitation_id: number | null;
  customer_id: number | null;
  score: number;
  comment: string | null;
  channel: string;
  source: string;
  link_key: string | null;
  locale: string | null;
  answered_at: string;
  updated_at: string;
  properties: string;
}

/**
 * Stores a response and counts it in the daily rollup, in the caller's
 * transaction, so the two never disagree. Returns the new id.
 */
export async function insertResponse(trx: Knex.Transaction, response: NewResponse, reportingTimeZone: string): Promise<number> {
  const answeredAt = toDbTime(response.answered_at);
  const [row] = await trx('responses')
    .insert({
      survey_id: response.survey_id,
      invitation_id: response.invitation_id ?? null,
      customer_id: response.customer_id ?? null,
      score: response.score,
      comment: response.comment ?? null,
      channel: response.channel,
      source: response.source ?? (response.channel === 'import' ? 'import' : 'invitation'),
      link_key: response.link_key ?? null,
      import_key: response.import_key ?? null,
      locale: response.locale ?? null,
      answered_at: answeredAt,
      updated_at: answeredAt,
      properties: JSON.stringify(response.properties ?? {}),
    })
    .returning('id');
  const id: number = typeof row === 'object' ? row.id : row;
  await countResponse(trx, response, 1, reportingTimeZone);
  const values = responseValueRows(id, response);
  if (values.length) await trx('response_values').insert(values);
  return id;
}

/** Changes a response's score and comment (within the edit window), moving its rollup count. */
export async function updateResponse(
  trx: Knex.Transaction,
  existing: ResponseRow,
  change: { score: number; comment: string | null; at: Date },
  reportingTimeZone: string,
): Promise<void> {
  await trx('responses')
    .where({ id: existing.id })
    .update({ score: change.score, comment: change.comment, updated_at: toDbTime(change.at) });
  if (change.score !== existing.score) {
    await countResponse(trx, existing, -1, reportingTimeZone);
    await countResponse(trx, { ...existing, score: change.score }, 1, reportingTimeZone);
    await rescoreResponseValues(trx, existing.id, change.score);
  }
}

