import type { Knex } from 'knex';
import { toCount } from '../db/dialect.ts';
import { lowScoreMax, metrics } from '../surveys/model.ts';

/** Responses of detractors who left a comment (responses joined with their survey). */
function detractorComments(db: Knex): Knex.QueryBuilder {
  return db('responses')
    .join('surveys', 'surveys.id', 'responses.survey_id')
    .whereNotNull('responses.comment')
    .whereNot('responses.comment', '')
    .where((q) => {
      // A detractor's score: the lowest group of each metric (NPS 0–6, CSAT 1–2, CES 1–3).
      for (const metric of metrics) q.orWhere((m) => m.where('surveys.metric', metric).where('responses.score', '<=', lowScoreMax(metric)));
    });
}

export interface FollowUpRow {
  response_id: number;
  survey_key: string;
  metric: string;
  touchpoint_name: string;
  score: number;
  comment: string;
  answered_at: string;
  customer_external_id: string | null;
  customer_email: string | null;
  done_at: string | null;
  done_by_email: string | null;
  note: string | null;
}

export interface FollowUpFilter {
  status: 'open' | 'done';
  surveyId: number | null;
}

function listQuery(db: Knex, filter: FollowUpFilter): Knex.QueryBuilder {
  const q = detractorComments(db)
    .join('touchpoints', 'touchpoints.id', 'surveys.touchpoint_id')
    .leftJoin('customers', 'customers.id', 'responses.customer_id')
    .leftJoin('follow_ups', 'follow_ups.response_id', 'responses.id')
    .leftJoin('users', 'users.id', 'follow_ups.done_by');
  if (filter.status === 'open') q.whereNull('follow_ups.response_id');
  else q.whereNotNull('follow_ups.response_id');
  if (filter.surveyId !== null) q.where('responses.survey_id', filter.surveyId);
  return q;
}

/** One page of follow-ups, newest answer first (done ones: latest done first; ties: newest id first), and how many match in all. */
export async function listFollowUps(
  db: Knex,
  filter: FollowUpFilter,
  limit: number,
  offset = 0,
): Promise<{ total: number; rows: FollowUpRow[] }> {
  const [count] = await listQuery(db, filter).count({ n: '*' });
  const order = filter.status === 'done' ? 'follow_ups.done_at' : 'responses.answered_at';
  const rows: FollowUpRow[] = await listQuery(db, filter)
    .select(
      'responses.id as response_id',
      'surveys.key as survey_key',
      'surveys.metric',
      'touchpoints.name as touchpoint_name',
      'responses.score',
      'responses.comment',
      'responses.answered_at',
      'customers.external_id as customer_external_id',
      'customers.email as customer_email',
      'follow_ups.done_at',
      'users.email as done_by_email',
      'follow_ups.note',
    )
    .orderBy([{ column: order, order: 'desc' }, { column: 'responses.id', order: 'desc' }])
    .limit(limit)
    .offset(offset);
  return { total: toCount(count?.n), rows: rows.map((r) => ({ ...r, score: Number(r.score) })) };
}

/** Whether the response is a detractor's comment (so it can be followed up). */
export async function isFollowUp(db: Knex, responseId: number): Promise<boolean> {
  return Boolean(await detractorComments(db).where('responses.id', responseId).first('responses.id'));
}

/** Marks it done; a second mark keeps the first (who, when, note). Returns false when it was done already. */
export async function insertFollowUp(db: Knex, row: { response_id: number; done_at: string; done_by: number; note: string }): Promise<boolean> {
  const inserted = await db('follow_ups').insert(row).onConflict('response_id').ignore().returning('response_id');
  return inserted.length > 0;
}

/** Puts it back on the open list. */
export const deleteFollowUp = (db: Knex, responseId: number) => db('follow_ups').where({ response_id: responseId }).del();

// Owners and alerts.

export interface OwnerRow {
  survey_id: number;
  user_id: number;
  since: string;
}

export const listOwners = (db: Knex): Promise<OwnerRow[]> => db('survey_owners').select('survey_id', 'user_id', 'since');

/** Sets (or replaces) a survey's owner; alerts cover comments from `since` on. */
export async function setOwner(db: Knex, surveyId: number, userId: number, since: string): Promise<void> {
  await db('survey_owners').insert({ survey_id: surveyId, user_id: userId, since }).onConflict('survey_id').merge(['user_id', 'since']);
}

export const removeOwner = (db: Knex, surveyId: number) => db('survey_owners').where({ survey_id: surveyId }).del();

/** A detractor comment to alert its survey's owner about: the follow-up's answer, and the owner. */
export type AlertCandidate = Omit<FollowUpRow, 'done_at' | 'done_by_email' | 'note'> & {
  owner_id: number;
  owner_email: string;
  owner_locale: string;
};

/**
 * Detractor comments that arrived (or got their comment) since their survey's
 * owner was set, not yet alerted, for owners still active; imports and anonymous answers excluded;
 * only answers given since `answeredSince`.
 */
export async function pendingAlerts(db: Knex, answeredSince: string, limit: number): Promise<AlertCandidate[]> {
  const rows: AlertCandidate[] = await detractorComments(db)
    .join('touchpoints', 'touchpoints.id', 'surveys.touchpoint_id')
    .join('survey_owners', 'survey_owners.survey_id', 'responses.survey_id')
    .join('users', 'users.id', 'survey_owners.user_id')
    .leftJoin('customers', 'customers.id', 'responses.customer_id')
    .leftJoin('follow_up_alerts', 'follow_up_alerts.response_id', 'responses.id')
    .whereNull('follow_up_alerts.response_id')
    .whereNull('users.deactivated_at')
    .whereNot('responses.channel', 'import')
    // Anonymous web-link answers never alert: anyone could write them.
    .whereNot('responses.source', 'anonymous')
    .whereRaw('responses.updated_at >= survey_owners.since')
    // Bounds the scan to recent answers (the survey_id, answered_at index).
    .where('responses.answered_at', '>=', answeredSince)
    .select(
      'responses.id as response_id',
      'users.id as owner_id',
      'users.email as owner_email',
      'users.locale as owner_locale',
      'surveys.key as survey_key',
      'surveys.metric',
      'touchpoints.name as touchpoint_name',
      'responses.score',
      'responses.comment',
      'responses.answered_at',
      'customers.external_id as customer_external_id',
      'customers.email as customer_email',
    )
    .orderBy('responses.id')
    .limit(limit);
  return rows.map((r) => ({ ...r, score: Number(r.score) }));
}

/** Takes the alert marker; false when another pass (or worker) has it already. */
export async function claimAlert(db: Knex, responseId: number, userId: number, at: string): Promise<boolean> {
  const inserted = await db('follow_up_alerts')
    .insert({ response_id: responseId, user_id: userId, claimed_at: at })
    .onConflict('response_id')
    .ignore()
    .returning('response_id');
  return inserted.length > 0;
}

export const markAlertSent = (db: Knex, responseId: number, at: string) =>
  db('follow_up_alerts').where({ response_id: responseId }).update({ sent_at: at });

export const markAlertFailed = (db: Knex, responseId: number, error: string) =>
  db('follow_up_alerts').where({ response_id: responseId }).update({ error: error.slice(0, 2000) });

/** Lets a later pass try again (after a temporary failure). */
export const releaseAlert = (db: Knex, responseId: number) => db('follow_up_alerts').where({ response_id: responseId }).del();
