import type { Knex } from 'knex';
import { localDate } from '../dates.ts';
import { toDbTime } from '../db/time.ts';
import { getSettings } from '../settings/service.ts';
import { segmentPairs } from './segments.ts';
import { rebuildSendRollups } from './send-rollup.ts';
import { rebuildEventRollup } from '../events/rollup.ts';

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

/** Adds `delta` to the survey × local day × score count that dashboards read. */
export async function bumpDailyRollup(trx: Knex, surveyId: number, day: string, score: number, delta: number): Promise<void> {
  await trx('response_daily')
    .insert({ survey_id: surveyId, day, score, count: delta })
    .onConflict(['survey_id', 'day', 'score'])
    .merge({ count: trx.raw('response_daily.count + ?', [delta]) });
}

/** Adds `delta` to the survey × property × local day × value × score counts that segment breakdowns read. */
export async function bumpSegmentRollup(
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
  const day = localDate(response.answered_at, reportingTimeZone);
  await bumpDailyRollup(trx, response.survey_id, day, response.score, 1);
  await bumpSegmentRollup(trx, response.survey_id, day, segmentPairs(response.properties), response.score, 1);
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
    const pairs = segmentPairs(existing.properties);
    await bumpSegmentRollup(trx, existing.survey_id, day, pairs, existing.score, -1);
    await bumpSegmentRollup(trx, existing.survey_id, day, pairs, change.score, 1);
  }
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
  segments: { survey_id: number; name: string; day: string; value: string; score: number; count: number }[];
} {
  const daily = new Map<string, { survey_id: number; day: string; score: number; count: number }>();
  const segments = new Map<string, { survey_id: number; name: string; day: string; value: string; score: number; count: number }>();
  for (const r of responses) {
    const day = localDate(new Date(r.answered_at), reportingTimeZone);
    const score = Number(r.score);
    const survey_id = Number(r.survey_id);
    const k = JSON.stringify([survey_id, day, score]);
    const d = daily.get(k) ?? daily.set(k, { survey_id, day, score, count: 0 }).get(k)!;
    d.count++;
    for (const [name, value] of segmentPairs(r.properties)) {
      const sk = JSON.stringify([survey_id, name, day, value, score]);
      const s = segments.get(sk) ?? segments.set(sk, { survey_id, name, day, value, score, count: 0 }).get(sk)!;
      s.count++;
    }
  }
  return { daily: [...daily.values()], segments: [...segments.values()] };
}

/** Recounts the rollups (of responses, and of invitations by the day they were sent), e.g. after the reporting time zone changed. */
export async function rebuildDailyRollup(db: Knex, reportingTimeZone: string): Promise<void> {
  await db.transaction(async (trx) => {
    await rebuildSendRollups(trx, reportingTimeZone);
    await rebuildEventRollup(trx, reportingTimeZone);
    await trx('response_daily').del();
    await trx('response_segment_daily').del();
    const rows: { survey_id: number; score: number; answered_at: string; properties: string }[] = await trx('responses').select(
      'survey_id',
      'score',
      'answered_at',
      'properties',
    );
    const { daily, segments } = rollupRowsOf(rows, reportingTimeZone);
    for (let i = 0; i < daily.length; i += 500) await trx('response_daily').insert(daily.slice(i, i + 500));
    // Six columns a row: 150 rows keep each statement under SQLite's 999 bound parameters.
    for (let i = 0; i < segments.length; i += 150) await trx('response_segment_daily').insert(segments.slice(i, i + 150));
  });
}
