import type { Knex } from 'knex';
import { toCount } from '../db/dialect.ts';

/** The filters of the delivery log, as instants (UTC ISO) and ids. */
export interface DeliveryFilter {
  surveyId?: number;
  state?: string;
  /** Send time (sent, else scheduled) at or after this instant. */
  fromIso?: string;
  /** … and before this one. */
  beforeIso?: string;
}

export interface DeliveryListRow {
  id: number;
  survey_key: string;
  touchpoint_name: string;
  email: string | null;
  state: string;
  channel: string;
  send_at: string;
  sent_at: string | null;
  expires_at: string | null;
  attempts: number;
  last_error: string | null;
  reminder_state: string | null;
  reminder_sent_at: string | null;
  reminder_next_attempt_at: string | null;
  reminder_detail: string | null;
  reminder_last_error: string | null;
}

/** The send time a row is listed, filtered and sorted by: when it went out, else when it is planned. */
const sendTime = 'coalesce(invitations.sent_at, invitations.send_at)';

function filtered(db: Knex, filter: DeliveryFilter): Knex.QueryBuilder {
  const query = db('invitations');
  if (filter.surveyId !== undefined) query.where('invitations.survey_id', filter.surveyId);
  if (filter.state) query.where('invitations.state', filter.state);
  if (filter.fromIso) query.whereRaw(`${sendTime} >= ?`, [filter.fromIso]);
  if (filter.beforeIso) query.whereRaw(`${sendTime} < ?`, [filter.beforeIso]);
  return query;
}

/** One page, newest send time first (ties: newest id first). */
export function listDeliveries(db: Knex, filter: DeliveryFilter, limit: number, offset: number): Promise<DeliveryListRow[]> {
  return filtered(db, filter)
    .join('surveys', 'surveys.id', 'invitations.survey_id')
    .join('touchpoints', 'touchpoints.id', 'surveys.touchpoint_id')
    .join('customers', 'customers.id', 'invitations.customer_id')
    .select(
      'invitations.id',
      'surveys.key as survey_key',
      'touchpoints.name as touchpoint_name',
      'customers.email',
      'invitations.state',
      'invitations.channel',
      'invitations.send_at',
      'invitations.sent_at',
      'invitations.expires_at',
      'invitations.attempts',
      'invitations.last_error',
      'invitations.reminder_state',
      'invitations.reminder_sent_at',
      'invitations.reminder_next_attempt_at',
      'invitations.reminder_detail',
      'invitations.reminder_last_error',
    )
    .orderByRaw(`${sendTime} desc`)
    .orderBy('invitations.id', 'desc')
    .limit(limit)
    .offset(offset);
}

export async function countDeliveries(db: Knex, filter: DeliveryFilter): Promise<number> {
  const row = await filtered(db, filter).count({ n: '*' }).first();
  return toCount(row?.n);
}

export interface DeliveryRow {
  id: number;
  survey_id: number;
  event_id: number;
  customer_id: number;
  channel: string;
  locale: string;
  state: string;
  send_at: string;
  token_salt: string;
  expires_at: string | null;
  attempts: number;
  next_attempt_at: string | null;
  claimed_at: string | null;
  claimed_by: string | null;
  last_error: string | null;
  message_id: string | null;
  sent_at: string | null;
  responded_at: string | null;
  reason: string | null;
  reason_detail: string | null;
  created_at: string;
  updated_at: string;
  reminder_state: string | null;
  reminder_attempts: number;
  reminder_next_attempt_at: string | null;
  reminder_claimed_at: string | null;
  reminder_sent_at: string | null;
  reminder_message_id: string | null;
  reminder_last_error: string | null;
  reminder_detail: string | null;
}

export const findDelivery = (db: Knex, id: number): Promise<DeliveryRow | undefined> => db('invitations').where({ id }).first();

export interface EventRow {
  id: number;
  transaction_id: string;
  touchpoint_key: string;
  touchpoint_name: string;
  occurred_at: string;
  received_at: string;
  properties: string;
  source: string;
  decision: string;
  reason: string | null;
  reason_detail: string | null;
  send_at: string | null;
}

export const findEvent = (db: Knex, id: number): Promise<EventRow | undefined> =>
  db('events')
    .join('touchpoints', 'touchpoints.id', 'events.touchpoint_id')
    .where('events.id', id)
    .first(
      'events.id',
      'events.transaction_id',
      'touchpoints.key as touchpoint_key',
      'touchpoints.name as touchpoint_name',
      'events.occurred_at',
      'events.received_at',
      'events.properties',
      'events.source',
      'events.decision',
      'events.reason',
      'events.reason_detail',
      'events.send_at',
    );


/** When the customer unsubscribed from the invitation's touchpoint only, or undefined. */
export const findTouchpointUnsubscribe = (db: Knex, customerId: number, eventId: number): Promise<{ created_at: string } | undefined> =>
  db('touchpoint_unsubscribes')
    .join('events', 'events.touchpoint_id', 'touchpoint_unsubscribes.touchpoint_id')
    .where({ 'events.id': eventId, 'touchpoint_unsubscribes.customer_id': customerId })
    .first('touchpoint_unsubscribes.created_at');

export interface ClickRow {
  id: number;
  kind: string;
  score: number | null;
  at: string;
  user_agent: string | null;
  signal: string | null;
}

/** Opens, trap hits and refused automated answers, in the order they came. */
export const listClicks = (db: Knex, invitationId: number): Promise<ClickRow[]> =>
  db('link_clicks').where({ invitation_id: invitationId }).orderBy('at').orderBy('id').select('id', 'kind', 'score', 'at', 'user_agent', 'signal');

export interface ResponseRow {
  id: number;
  score: number;
  comment: string | null;
  channel: string;
  locale: string | null;
  answered_at: string;
  updated_at: string;
}

export const findResponse = (db: Knex, invitationId: number): Promise<ResponseRow | undefined> =>
  db('responses').where({ invitation_id: invitationId }).first('id', 'score', 'comment', 'channel', 'locale', 'answered_at', 'updated_at');
