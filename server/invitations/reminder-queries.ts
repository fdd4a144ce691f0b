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
    // A test invitation (the first-run checklist's) gets no reminder.
    .andWhere('is_test', false)
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

export async function markReminderClaimed(trx: Knex.Transaction, id: number, nowIso: string, owner: string): Promise<void> {
  await trx('invitations').where({ id }).update({
    reminder_state: 'sending',
    reminder_claimed_at: nowIso,
    reminder_claimed_by: owner,
    reminder_attempts: trx.raw('reminder_attempts + 1'),
  });
}

/**
 * The reminder row a mark may change: with an `owner`, only while that worker still holds its claim (a
 * worker whose lease ran out changes nothing); without, from the claim pass, which holds the row's lock
 * (pending, or a stale claim).
 */
const reminderRow = (db: Db, id: number, owner: string | null) =>
  owner
    ? db('invitations').where({ id, reminder_state: 'sending', reminder_claimed_by: owner })
    : db('invitations').where({ id }).where((q) => q.whereNull('reminder_state').orWhere('reminder_state', 'sending'));
const reminderReleased = { reminder_claimed_at: null, reminder_claimed_by: null };

/** Right before a send: the reminder is still this worker's (lease renewed), or false when another worker took it over. */
export async function confirmReminderClaim(db: Knex, id: number, owner: string, nowIso: string): Promise<boolean> {
  return (await reminderRow(db, id, owner).update({ reminder_claimed_at: nowIso })) > 0;
}

/** The lease on the reminders this worker holds runs on from now. */
export async function renewReminderClaims(db: Knex, ids: number[], owner: string, nowIso: string): Promise<void> {
  if (!ids.length) return;
  await db('invitations').whereIn('id', ids).andWhere({ reminder_state: 'sending', reminder_claimed_by: owner }).update({ reminder_claimed_at: nowIso });
}

/** Gives a claimed reminder back unsent, its attempt refunded, due again at `retryAtIso`. */
export async function releaseReminderClaim(db: Knex, id: number, owner: string, retryAtIso: string): Promise<boolean> {
  const marked = await reminderRow(db, id, owner).update({
    reminder_state: null,
    reminder_attempts: db.raw('CASE WHEN reminder_attempts > 0 THEN reminder_attempts - 1 ELSE 0 END'),
    reminder_next_attempt_at: retryAtIso,
    ...reminderReleased,
  });
  return marked > 0;
}

/** Not now: quiet hours hold it until `untilIso`. */
export async function deferReminder(trx: Knex.Transaction, id: number, untilIso: string): Promise<void> {
  await trx('invitations').where({ id }).whereNull('reminder_state').update({ reminder_next_attempt_at: untilIso });
}

/** No reminder after all (answered, unsubscribed, expired …), for good. */
export async function markReminderSuppressed(db: Db, id: number, owner: string | null, detail: string): Promise<boolean> {
  const marked = await reminderRow(db, id, owner).update({ reminder_state: 'suppressed', reminder_detail: detail, ...reminderReleased, reminder_next_attempt_at: null });
  return marked > 0;
}

export async function markReminderSent(db: Db, id: number, owner: string, sent: { sentAt: string; messageId: string }): Promise<boolean> {
  const marked = await reminderRow(db, id, owner).update({
    reminder_state: 'sent',
    reminder_sent_at: sent.sentAt,
    reminder_message_id: sent.messageId,
    ...reminderReleased,
    reminder_next_attempt_at: null,
    reminder_last_error: null,
  });
  return marked > 0;
}

export async function markReminderRetry(db: Db, id: number, owner: string | null, error: string, nextAttemptAt: string): Promise<boolean> {
  const marked = await reminderRow(db, id, owner).update({ reminder_state: null, reminder_next_attempt_at: nextAttemptAt, reminder_last_error: error, ...reminderReleased });
  return marked > 0;
}

export async function markReminderFailed(db: Db, id: number, owner: string | null, error: string): Promise<boolean> {
  const marked = await reminderRow(db, id, owner).update({ reminder_state: 'failed', reminder_last_error: error, ...reminderReleased, reminder_next_attempt_at: null });
  return marked > 0;
}
