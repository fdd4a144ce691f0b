import type { Knex } from 'knex';
import { writeTogether } from '../db/group-commit.ts';
import { InvitationStates, type InvitationState } from './states.ts';
import { forClaim, writeTransaction } from '../db/dialect.ts';
import { countSent } from '../rollups/sends.ts';
import { enqueueWebhook } from '../webhooks/outbox.ts';
import { invitationData } from '../webhooks/payloads.ts';

/** What the worker needs of one invitation to render and send it. */
export interface InvitationToSend {
  id: number;
  survey_id: number;
  customer_id: number;
  locale: string;
  /** The link token's salt, key version and hash (server/tokens.ts makes the token again from them). */
  token_salt: string;
  token_key_version: number;
  token_hash: string;
  attempts: number;
  /** Tries of its reminder so far (the claim counts one). */
  reminder_attempts: number;
  /** A test invitation (the first-run checklist's): sent at once, never counted. */
  is_test: boolean | number;
  email: string | null;
  name: string | null;
}

/**
 * Due invitations, locked for this transaction on PostgreSQL (other workers
 * skip them): scheduled ones whose time (and retry time) has come, and
 * `sending` ones whose worker stopped before it could mark them.
 */
export function selectDueForClaim(
  trx: Knex.Transaction,
  db: Knex,
  nowIso: string,
  staleBeforeIso: string,
  limit: number,
): Promise<{ id: number; state: InvitationState; attempts: number; is_test: boolean | number }[]> {
  const query = trx('invitations')
    .select('id', 'state', 'attempts', 'is_test')
    .where((due) =>
      due
        .where((scheduled) =>
          scheduled
            .where('state', InvitationStates.scheduled)
            .andWhere('send_at', '<=', nowIso)
            .andWhere((retry) => retry.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', nowIso)),
        )
        .orWhere((stale) => stale.where('state', InvitationStates.sending).andWhere('claimed_at', '<', staleBeforeIso)),
    )
    .orderBy('send_at')
    .orderBy('id')
    .limit(limit);
  return forClaim(db, query);
}

export async function markClaimed(trx: Knex.Transaction, id: number, nowIso: string, claimedBy: string): Promise<void> {
  await trx('invitations')
    .where({ id })
    .update({ state: InvitationStates.sending, claimed_at: nowIso, claimed_by: claimedBy, attempts: trx.raw('attempts + 1'), updated_at: nowIso });
}

/**
 * A row this worker still owns: in `sending`, claimed by `owner`. Every mark after the claim goes through
 * it, so a worker whose lease ran out (another worker took the row over) changes nothing; the marks say
 * whether they did (false: no longer ours).
 */
const owned = (db: Knex | Knex.Transaction, id: number, owner: string) => db('invitations').where({ id, state: InvitationStates.sending, claimed_by: owner });
const released = { claimed_at: null, claimed_by: null };

export async function markSuppressed(trx: Knex | Knex.Transaction, id: number, owner: string, reason: string, detail: string, nowIso: string): Promise<boolean> {
  const marked = await owned(trx, id, owner).update({ state: InvitationStates.suppressed, reason, reason_detail: detail, ...released, updated_at: nowIso });
  return marked > 0;
}

/**
 * Right before a send: the row is still this worker's (its lease renewed from now), or false when another
 * worker took it over meanwhile (this one was paused past its lease): then it must not be sent.
 */
export async function confirmClaim(db: Knex, id: number, owner: string, nowIso: string): Promise<boolean> {
  return (await owned(db, id, owner).update({ claimed_at: nowIso })) > 0;
}

/** The lease on the rows this worker holds runs on from now (while a send is in flight). */
export async function renewClaims(db: Knex, ids: number[], owner: string, nowIso: string): Promise<void> {
  if (!ids.length) return;
  await db('invitations').whereIn('id', ids).andWhere({ state: InvitationStates.sending, claimed_by: owner }).update({ claimed_at: nowIso });
}

/**
 * Gives a claimed row back unsent, without using up an attempt: due again at `retryAtIso` (a stopping
 * worker, a database read that failed, a mail server that cannot be reached).
 */
export async function releaseClaim(db: Knex, id: number, owner: string, retryAtIso: string, nowIso: string): Promise<boolean> {
  const marked = await owned(db, id, owner).update({
    state: InvitationStates.scheduled,
    attempts: db.raw('CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END'),
    next_attempt_at: retryAtIso,
    ...released,
    updated_at: nowIso,
  });
  return marked > 0;
}

export async function findInvitationToSend(db: Knex, id: number): Promise<InvitationToSend | undefined> {
  const row: InvitationToSend | undefined = await db('invitations')
    .join('customers', 'customers.id', 'invitations.customer_id')
    .where('invitations.id', id)
    .first(
      'invitations.id',
      'invitations.survey_id',
      'invitations.customer_id',
      'invitations.locale',
      'invitations.token_salt',
      'invitations.token_key_version',
      'invitations.token_hash',
      'invitations.attempts',
      'invitations.reminder_attempts',
      'invitations.is_test',
      'customers.email',
      'customers.name',
    );
  // smallint comes back as a string from PostgreSQL; rows made before key versions are version 1.
  return row && { ...row, token_key_version: Number(row.token_key_version ?? 1) };
}

/** Only a row this worker still owns is marked: a row another worker took over stays as it is. */
export async function markSent(
  db: Knex,
  id: number,
  owner: string,
  sent: { sentAt: string; messageId: string; expiresAt: string; reportingTimeZone: string; test?: boolean },
): Promise<boolean> {
  // Shared with the other sends recorded meanwhile (group commit: one commit for them all).
  return writeTogether(db, async (trx) => {
    const marked = await owned(trx, id, owner).update({
      state: InvitationStates.sent,
      sent_at: sent.sentAt,
      message_id: sent.messageId,
      expires_at: sent.expiresAt,
      next_attempt_at: null,
      last_error: null,
      ...released,
      updated_at: sent.sentAt,
    });
    // The response rate by day of sending counts it in the same transaction, and webhooks hear of it; a
    // test invitation (the first-run checklist's) is neither counted nor announced.
    if (marked > 0 && !sent.test) {
      await countSent(trx, id, sent.reportingTimeZone);
      await enqueueWebhook(trx, 'invitation.sent', new Date(sent.sentAt), () => invitationData(trx, id, { sent_at: sent.sentAt, message_id: sent.messageId }));
    }
    return marked > 0;
  });
}

export async function markRetry(db: Knex, id: number, owner: string, error: string, nextAttemptAt: string, nowIso: string): Promise<boolean> {
  const marked = await owned(db, id, owner).update({ state: InvitationStates.scheduled, next_attempt_at: nextAttemptAt, last_error: error, ...released, updated_at: nowIso });
  return marked > 0;
}

/** Failed for good; `owner` null: a stale claim found while claiming (its row is locked by the claim). */
export function markFailed(db: Knex | Knex.Transaction, id: number, owner: string | null, error: string, nowIso: string): Promise<boolean> {
  // Its own transaction (a savepoint inside the caller's), so the mark and its webhook commit together.
  return writeTransaction(db, async (trx) => {
    const row = owner ? owned(trx, id, owner) : trx('invitations').where({ id }).whereIn('state', [InvitationStates.sending, InvitationStates.scheduled]);
    const marked = await row.update({ state: InvitationStates.failed, last_error: error, next_attempt_at: null, ...released, updated_at: nowIso });
    if (marked > 0) await enqueueWebhook(trx, 'invitation.failed', new Date(nowIso), () => invitationData(trx, id, { failed_at: nowIso, error }));
    return marked > 0;
  });
}

/** A hard bounce: the address gets nothing more (eligibility reads bounced_at). */
export async function markCustomerBounced(trx: Knex.Transaction, customerId: number, reason: string, nowIso: string): Promise<void> {
  await trx('customers').where({ id: customerId }).update({ bounced_at: nowIso, bounce_reason: reason, updated_at: nowIso });
}
