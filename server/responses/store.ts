import type { Knex } from 'knex';
import { localDate } from '../dates.ts';
import { toDbTime } from '../db/time.ts';

export interface NewResponse {
  survey_id: number;
  invitation_id?: number | null;
  customer_id?: number | null;
  score: number;
  comment?: string | null;
  channel: 'email' | 'web' | 'import';
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
  locale: string | null;
  answered_at: string;
  updated_at: string;
  properties: string;
}

/** Adds `delta` to the survey × local day × score count that dashboards read. */
export async function bumpDailyRollup(trx: Knex, surveyId: number, day: string, score: number, delta: number): Promise<void> {
  await trx('response_daily')
    .insert({ survey_id: surveyId, day, score, count: delta })
    .onConflict(['survey_id', 'day', 'score'])
    .merge({ count: trx.raw('response_daily.count + ?', [delta]) });
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
      locale: response.locale ?? null,
      answered_at: answeredAt,
      updated_at: answeredAt,
      properties: JSON.stringify(response.properties ?? {}),
    })
    .returning('id');
  await bumpDailyRollup(trx, response.survey_id, localDate(response.answered_at, reportingTimeZone), response.score, 1);
  return typeof row === 'object' ? row.id : row;
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
    const day = localDate(new Date(existing.answered_at), reportingTimeZone);
    await bumpDailyRollup(trx, existing.survey_id, day, existing.score, -1);
    await bumpDailyRollup(trx, existing.survey_id, day, change.score, 1);
  }
}

/** Recounts the daily rollup from the responses, e.g. after the reporting time zone changed. */
export async function rebuildDailyRollup(db: Knex, reportingTimeZone: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('response_daily').del();
    const counts = new Map<string, number>();
    const rows: { survey_id: number; score: number; answered_at: string }[] = await trx('responses').select(
      'survey_id',
      'score',
      'answered_at',
    );
    for (const r of rows) {
      const k = `${r.survey_id}|${localDate(new Date(r.answered_at), reportingTimeZone)}|${r.score}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const inserts = [...counts].map(([k, count]) => {
      const [survey_id, day, score] = k.split('|');
      return { survey_id: Number(survey_id), day, score: Number(score), count };
    });
    for (let i = 0; i < inserts.length; i += 500) await trx('response_daily').insert(inserts.slice(i, i + 500));
  });
}
