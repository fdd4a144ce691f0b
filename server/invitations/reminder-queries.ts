import type { Knex } from 'knex';
import type { InvitationState } from './states.ts';
import { forClaim } from '../db/dialect.ts';

type Db = Knex | Knex.Transaction;

/**
 * Sent, unanswered invitations of one survey whose reminder is due, locked for
 * this transaction on PostgreSQL (other workers skip them): no reminder yet and
 * its retry or quiet-hours wait over, or a reminder claim gone stale.
 */
export function selectDueRemindersForClaim(
  trx: Knex.Transaction,
  db: Knex,
  due: { surveyId: number; sentBefore: string; nowIso: string; staleBefore: string },
  limit: number,
): Promise<{ id: number; customer_id: number; reminder_state: string | null; reminder_attempts: number }[]> {
  const query = trx('invitations')
    .select('id', 'customer_id', 'reminder_state', 'reminder_attempts')
    .where('survey_id', due.surveyId)
    .andWhere('state', 'sent')
    .andWhere('sent_at', '<=', due.sentBefore)
    // Links that have expired are never reminded of (history from before reminders were turned on stays untouched).
    .andWhere((open) => open.whereNull('expires_at').orWhere('expires_at', '>', due.nowIso))
    .andWhere((when) =>
      when
        .where((pending) =>
          pending
            .whereNull('reminder_state')
            .andWhere((wait) => wait.whereNull('reminder_next_attempt_at').orWhere('reminder_next_attempt_at', '<=', due.nowIso)),
        )
        .orWhere((stale) => stale.where('reminder_state', 'sending').andWhere('reminder_claimed_at', '<', due.staleBefore)),
    )
    .orderBy('sent_at')
    .orderBy('id')
    .limit(limit);
  return forClaim(db, query);
}

/** What decides whether a reminder is still wanted. */
export interface ReminderCheckRow {
  id: number;
  state: InvitationState;
  expires_at: string | null;
  survey_id: number;
  touchpoint_id: number;
  customer_id: number;
  email: string | null;
  time_zone: string | null;
  unsubscribed_at: string | null;
  bounced_at: string | null;
  erased_at: string | null;
  responded_at: string | null;
  response_at: string | null;
}

export function findReminderCheck(db: Db, invitationId: number): Promise<ReminderCheckRow | undefined> {
  return db('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .join('customers', 'customers.id', 'invitations.customer_id')
    .leftJoin('responses', 'responses.invitation_id', 'invitations.id')
    .where('invitations.id', invitationId)
    .first(
      'invitations.id',
      'invitations.state',
      'invitations.expires_at',
      'invitations.survey_id',
      'invitations.responded_at',
      'events.touchpoint_id',
      'invitations.customer_id',
      'customers.email',
      'customers.time_zone',
      'customers.unsubscribed_at',
      'customers.bounced_at',
      'customers.erased_at',
      'responses.answered_at as response_at',
    );
}

export async function markReminderClaimed(trx: Knex.Transaction, id: number, nowIso: string): Promise<void> {
  await trx('invitations').where({ id }).update({
    reminder_state: 'sending',
    reminder_claimed_at: nowIso,
    reminder_attempts: trx.raw('reminder_attempts + 1'),
  });
}

/** Not now: quiet hours hold it until `untilIso`. */
export async function deferReminder(trx: Knex.Transaction, id: number, untilIso: string): Promise<void> {
  await trx('invitations').where({ id }).whereNull('reminder_state').update({ reminder_next_attempt_at: untilIso });
}

/** No reminder after all (answered, unsubscribed, expired …), for good. */
export async function markReminderSuppressed(db: Db, id: number, detail: string): Promise<void> {
  await db('invitations')
    .where({ id })
    .where((q) => q.whereNull('reminder_state').orWhere('reminder_state', 'sending'))
    .update({ reminder_state: 'suppressed', reminder_detail: detail, reminder_claimed_at: null, reminder_next_attempt_at: null });
}

/** Only a reminder still in `sending` is marked: one another worker finished stays as it is. */
export async function markReminderSent(db: Db, id: number, sent: { sentAt: string; messageId: string }): Promise<void> {
  await db('invitations').where({ id, reminder_state: 'sending' }).update({
    reminder_state: 'sent',
    reminder_sent_at: sent.sentAt,
    reminder_message_id: sent.messageId,
    reminder_claimed_at: null,
    reminder_next_attempt_at: null,
    reminder_last_error: null,
  });
}

export async function markReminderRetry(db: Db, id: number, error: string, nextAttemptAt: string): Promise<void> {
  await db('invitations')
    .where({ id, reminder_state: 'sending' })
    .update({ reminder_state: null, reminder_next_attempt_at: nextAttemptAt, reminder_last_error: error, reminder_claimed_at: null });
}

export async function markReminderFailed(db: Db, id: number, error: string): Promise<void> {
  await db('invitations')
    .where({ id })
    .where((q) => q.whereNull('reminder_state').orWhere('reminder_state', 'sending'))
    .update({ reminder_state: 'failed', reminder_last_error: error, reminder_claimed_at: null, reminder_next_attempt_at: null });
}
