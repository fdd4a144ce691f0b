import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import { statementsFor, type Statements } from '../db/statements.ts';
import { countResponses, type ResponseCounts } from '../rollups/responses.ts';
import { insertResponseValues, rescoreResponseValues, responseValueRows, type ResponseValues } from '../rollups/response-values.ts';

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

const responseColumns = ['survey_id', 'invitation_id', 'customer_id', 'score', 'comment', 'channel', 'source', 'link_key', 'import_key', 'locale', 'answered_at', 'updated_at', 'properties'] as const;
// Every field of a new response has its column (a field left out would be dropped without a word).
const allColumns: Exclude<keyof NewResponse, (typeof responseColumns)[number]> extends never ? true : never = true;
void allColumns;

const insertText = `INSERT INTO responses (${responseColumns.join(', ')}) VALUES (${responseColumns.map(() => '?').join(', ')}) RETURNING id`;

/**
 * What a response's storing writes last, together with the other responses of its transaction, before it
 * commits (the caller writes them): its rollup counts and its property values. Nothing reads them in between.
 */
export interface Later {
  counts: ResponseCounts;
  values: ResponseValues;
}

/**
 * Stores a response with its property values and counts it in the rollups, in the caller's transaction
 * (its prepared statements, or a knex transaction's), so they never disagree: now, or into `later`.
 * Returns the new id.
 */
export async function insertResponse(db: Statements | Knex.Transaction, response: NewResponse, reportingTimeZone: string, later?: Later): Promise<number> {
  const sql = await statementsFor(db);
  const answeredAt = toDbTime(response.answered_at);
  const row: Record<(typeof responseColumns)[number], string | number | null> = {
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
  };
  const [inserted] = await sql.rows<{ id: number }>(insertText, responseColumns.map((column) => row[column]));
  const id = Number(inserted.id);
  const values = responseValueRows(id, response);
  if (later) {
    later.values.add(values);
    later.counts.add(response, 1, reportingTimeZone);
  } else {
    await insertResponseValues(sql, values);
    await countResponses(sql, [{ response, delta: 1 }], reportingTimeZone);
  }
  return id;
}

/**
 * Changes a response's score and comment (within the edit window), moving its property values and its
 * rollup counts to the new score (now, or into `later`, as insertResponse).
 */
export async function updateResponse(
  db: Statements | Knex.Transaction,
  existing: Pick<ResponseRow, 'id' | 'survey_id' | 'score' | 'answered_at' | 'properties'>,
  change: { score: number; comment: string | null; at: Date },
  reportingTimeZone: string,
  later?: Later,
): Promise<void> {
  const sql = await statementsFor(db);
  await sql.run('UPDATE responses SET score = ?, comment = ?, updated_at = ? WHERE id = ?', [change.score, change.comment, toDbTime(change.at), existing.id]);
  if (change.score !== existing.score) {
    // Its values: those stored earlier in this transaction are still to be written.
    if (!later?.values.rescore(existing.id, change.score)) await rescoreResponseValues(sql, existing.id, change.score);
    const moved = [
      { response: existing, delta: -1 },
      { response: { ...existing, score: change.score }, delta: 1 },
    ];
    if (later) for (const { response, delta } of moved) later.counts.add(response, delta, reportingTimeZone);
    else await countResponses(sql, moved, reportingTimeZone);
  }
}
