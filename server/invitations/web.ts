import type { Knex } from 'knex';
import { InvitationStates } from './states.ts';
import { countSent } from '../rollups/sends.ts';

/**
 * The web channel's reads and writes of the invitations table (states.ts): a customer's waiting
 * invitation, shown by the widget, dismissed there, or at the end of its window expired or turned into
 * an email.
 */

export interface WebInvitation {
  id: number;
  survey_id: number;
  customer_id: number;
  event_id: number;
  locale: string;
  state: string;
  sent_at: string | null;
  expires_at: string | null;
  event_properties: string | null;
}

const selectWeb = (db: Knex) =>
  db('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .where('invitations.channel', 'web')
    .select(
      'invitations.id',
      'invitations.survey_id',
      'invitations.customer_id',
      'invitations.event_id',
      'invitations.locale',
      'invitations.state',
      'invitations.sent_at',
      'invitations.expires_at',
      'events.properties as event_properties',
    );

/** The customer's web invitation due at `nowIso` (its send time come, its window open), the oldest first. */
export const findDueWebInvitation = (db: Knex, customerId: number, nowIso: string): Promise<WebInvitation | undefined> =>
  selectWeb(db)
    .where({ 'invitations.customer_id': customerId, 'invitations.state': InvitationStates.waiting })
    .where('invitations.send_at', '<=', nowIso)
    .where('invitations.web_until', '>', nowIso)
    .orderBy('invitations.send_at')
    .first();

/** One of the customer's web invitations by id (the widget's answer and dismissal name it). */
export const findCustomerWebInvitation = (db: Knex, customerId: number, invitationId: number): Promise<WebInvitation | undefined> =>
  selectWeb(db).where({ 'invitations.customer_id': customerId, 'invitations.id': invitationId }).first();

/**
 * Shown in the page (in `locale`): from now on it is a contact (the rules count it) and counts for the response rate by
 * the day it was shown, in the caller's transaction. False when it was no longer waiting.
 */
export async function markShown(trx: Knex.Transaction, id: number, locale: string, nowIso: string, reportingTimeZone: string): Promise<boolean> {
  const marked = await trx('invitations')
    .where({ id, state: InvitationStates.waiting })
    .update({ state: InvitationStates.shown, locale, shown_at: nowIso, sent_at: nowIso, updated_at: nowIso });
  if (marked > 0) await countSent(trx, id, reportingTimeZone);
  return marked > 0;
}

/** Closed unanswered in the page: recorded, and still a contact. False when it was not on show. */
export async function markDismissed(db: Knex, id: number, nowIso: string): Promise<boolean> {
  const marked = await db('invitations').where({ id, state: InvitationStates.shown }).update({ state: InvitationStates.dismissed, dismissed_at: nowIso, updated_at: nowIso });
  return marked > 0;
}

/** Not shown after all: the rules checked again at the page view refused it. */
export async function markWebSuppressed(trx: Knex.Transaction, id: number, reason: string, detail: string, nowIso: string): Promise<void> {
  await trx('invitations').where({ id, state: InvitationStates.waiting }).update({ state: InvitationStates.suppressed, reason, reason_detail: detail, updated_at: nowIso });
}

/**
 * Web invitations whose window has ended unshown: those of a survey shown by the widget only (or since
 * made link-only) expire, recorded as such; the others (email_or_web, or a survey since switched to
 * email) become emails, due at once. Counts of each.
 */
export async function endWebWindows(db: Knex, nowIso: string): Promise<{ expired: number; emailed: number }> {
  const ended = () => db('invitations').where({ state: InvitationStates.waiting }).where('web_until', '<=', nowIso);
  const webOnly = db('surveys').whereIn('channel', ['web', 'link']).select('id');
  const expired = await ended()
    .whereIn('survey_id', webOnly)
    .update({ state: InvitationStates.expired, reason: 'web_window_ended', reason_detail: 'not shown: the customer did not visit the website within the survey\u2019s web window', updated_at: nowIso });
  const emailed = await ended().update({ state: InvitationStates.scheduled, channel: 'email', send_at: nowIso, updated_at: nowIso });
  return { expired, emailed };
}
