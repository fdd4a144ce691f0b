import type { Knex } from 'knex';
import { findSharedSurveyById } from '../surveys/queries.ts';
import { isLowScore, scoreGroupOf } from '../surveys/model.ts';
import { enqueueWebhook, insertMessages, subscribers } from './outbox.ts';
import { ALERT_TYPE, alertMatches } from './chat.ts';

/** The `data` of each event type, read inside the transaction that reports it. */

/** The customer as the business knows them (their id, else the email they were sent to), or null. */
async function customerOf(db: Knex, customerId: number | null | undefined): Promise<{ id: string; email: string | null } | null> {
  if (!customerId) return null;
  const row: { external_id: string; email: string | null } | undefined = await db('customers').where({ id: customerId }).first('external_id', 'email');
  return row ? { id: row.external_id, email: row.email } : null;
}

const surveyOf = async (db: Knex, surveyId: number) => {
  const survey = await findSharedSurveyById(db, surveyId);
  return { survey: survey?.key ?? null, touchpoint: survey?.touchpoint_key ?? null, metric: survey?.metric ?? null };
};

/** What a response's events say about it. */
interface ResponseFacts {
  id: number;
  survey_id: number;
  invitation_id?: number | null;
  customer_id?: number | null;
  score: number;
  comment: string | null;
  answered_at: string;
  channel: string;
  source?: string;
  properties?: Record<string, unknown>;
}

/** response.created and response.updated. */
async function responseData(db: Knex, r: ResponseFacts): Promise<Record<string, unknown>> {
  const survey = await surveyOf(db, r.survey_id);
  return {
    id: r.id,
    ...survey,
    score: r.score,
    score_group: survey.metric ? scoreGroupOf(survey.metric, r.score) : null,
    comment: r.comment,
    answered_at: r.answered_at,
    channel: r.channel,
    source: r.source ?? null,
    customer: await customerOf(db, r.customer_id),
    properties: r.properties ?? {},
    invitation_id: r.invitation_id ?? null,
  };
}

/** invitation.sent and invitation.failed. */
export async function invitationData(db: Knex, invitationId: number, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
  const row: { survey_id: number; customer_id: number; properties: string | null } | undefined = await db('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .where('invitations.id', invitationId)
    .first('invitations.survey_id', 'invitations.customer_id', 'events.properties');
  if (!row) return { invitation_id: invitationId, ...extra };
  const { survey, touchpoint } = await surveyOf(db, row.survey_id);
  return { invitation_id: invitationId, survey, touchpoint, customer: await customerOf(db, row.customer_id), properties: JSON.parse(row.properties ?? '{}'), ...extra };
}

/**
 * Writes a response's events into the outbox, in the transaction that stored or changed it:
 * response.created or response.updated, and followup.created for a new low score with a comment (a
 * detractor's, or CSAT 1–2 and CES 1–3: what the follow-ups list holds).
 */
export async function enqueueResponseEvents(db: Knex, created: boolean, r: ResponseFacts, at: Date): Promise<void> {
  // Read (customer, survey) once, and only when something wants it.
  let read: Promise<Record<string, unknown>> | undefined;
  const data = () => (read ??= responseData(db, r));
  await enqueueWebhook(db, created ? 'response.created' : 'response.updated', at, data);
  if (!created) return;
  const survey = await findSharedSurveyById(db, r.survey_id);
  if (!survey) return;
  // The survey's chat alerts (Slack, Teams), each under its rule; anonymous answers never alert.
  if (r.source !== 'anonymous') {
    const alerting = (await subscribers(db)).filter((c) => c.kind !== 'webhook' && c.survey_id === r.survey_id && alertMatches(c.alert, survey.metric, r.score, r.comment));
    if (alerting.length) await insertMessages(db, alerting.map((c) => c.id), ALERT_TYPE, at, await data());
  }
  if (r.comment && isLowScore(survey.metric, r.score)) await enqueueWebhook(db, 'followup.created', at, async () => ({ response_id: r.id, response: await data() }));
}
