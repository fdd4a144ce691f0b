import type { Knex } from 'knex';
import { forClaim } from '../db/dialect.ts';
import { bumpVersion } from '../db/versioned-cache.ts';

/**
 * Reads and writes of webhook_endpoints, webhook_messages and webhook_attempts (the outbox's writes:
 * outbox.ts). Every write of an endpoint moves the 'webhooks' cache version on (outbox.ts subscribers).
 */

export interface EndpointRow {
  id: number;
  url: string;
  description: string;
  events: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  /** webhook (Standard Webhooks), or slack / teams (a survey's chat alerts, formatted for the chat). */
  kind: 'webhook' | 'slack' | 'teams';
  survey_id: number | null;
  alert_scores: string | null;
  alert_needs_comment: number | null;
}

export const listEndpoints = (db: Knex): Promise<EndpointRow[]> => db('webhook_endpoints').orderBy('id');

export const findEndpoint = (db: Knex, id: number): Promise<EndpointRow | undefined> => db('webhook_endpoints').where({ id }).first();

export async function insertEndpoint(db: Knex, row: Omit<EndpointRow, 'id'>): Promise<number> {
  const [inserted] = await db('webhook_endpoints').insert(row).returning('id');
  await bumpVersion(db, 'webhooks');
  return Number(typeof inserted === 'object' ? inserted.id : inserted);
}

export async function updateEndpoint(db: Knex, id: number, change: Partial<Omit<EndpointRow, 'id'>>): Promise<void> {
  await db('webhook_endpoints').where({ id }).update(change);
  await bumpVersion(db, 'webhooks');
}

/** Turns an endpoint off with the reason; false when it was off already (another delivery turned it off first). */
export async function disableEndpoint(db: Knex, id: number, reason: string, at: string): Promise<boolean> {
  const changed = (await db('webhook_endpoints').where({ id }).whereNull('disabled_at').update({ disabled_at: at, disabled_reason: reason, updated_at: at })) > 0;
  if (changed) await bumpVersion(db, 'webhooks');
  return changed;
}

export function deleteEndpoint(db: Knex, id: number): Promise<boolean> {
  return db.transaction(async (trx): Promise<boolean> => {
    await trx('webhook_attempts').whereIn('message_id', trx('webhook_messages').where({ endpoint_id: id }).select('id')).del();
    await trx('webhook_messages').where({ endpoint_id: id }).del();
    const deleted = (await trx('webhook_endpoints').where({ id }).del()) > 0;
    await bumpVersion(trx, 'webhooks');
    return deleted;
  });
}

export interface MessageRow {
  id: number;
  endpoint_id: number;
  message_id: string;
  type: string;
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  created_at: string;
  finished_at: string | null;
}

/**
 * Claims up to `limit` pending messages that are due, for `owner`: those no worker holds, or whose holder's
 * claim is older than `staleBefore` (it stopped). One transaction: two workers never hold one message.
 */
export async function claimDueMessages(trx: Knex.Transaction, owner: string, now: string, staleBefore: string, limit: number): Promise<MessageRow[]> {
  const due: MessageRow[] = await forClaim(
    trx,
    trx('webhook_messages')
      .where({ state: 'pending' })
      .where('next_attempt_at', '<=', now)
      .where((q) => q.whereNull('claimed_at').orWhere('claimed_at', '<', staleBefore))
      .orderBy('next_attempt_at')
      .limit(limit),
  );
  if (due.length) await trx('webhook_messages').whereIn('id', due.map((m) => m.id)).update({ claimed_by: owner, claimed_at: now });
  return due;
}

/** Renews `owner`'s claim on messages it is still delivering (its lease runs from `nowIso` again). */
export async function renewMessageClaims(db: Knex, ids: number[], owner: string, nowIso: string): Promise<void> {
  await db('webhook_messages').whereIn('id', ids).andWhere({ state: 'pending', claimed_by: owner }).update({ claimed_at: nowIso });
}

/** Records one attempt of a message `owner` holds and what comes next for it; false when another worker took it over. */
export async function recordAttempt(
  trx: Knex.Transaction,
  message: { id: number; owner: string },
  attempt: { at: string; status: number | null; duration_ms: number; response: string | null; error: string | null },
  next: { state: 'pending' | 'delivered' | 'failed'; attempts: number; next_attempt_at: string; finished_at: string | null },
): Promise<boolean> {
  const changed = await trx('webhook_messages')
    .where({ id: message.id, claimed_by: message.owner, state: 'pending' })
    .update({ ...next, claimed_by: null, claimed_at: null });
  if (changed === 0) return false;
  await trx('webhook_attempts').insert({ message_id: message.id, ...attempt });
  return true;
}

/** A pending message of the endpoint again, due now, its attempts kept (sent again from the endpoint's page or the API). */
export const requeueMessage = (db: Knex, endpointId: number, id: number, now: string): Promise<number> =>
  db('webhook_messages').where({ id, endpoint_id: endpointId }).update({ state: 'pending', next_attempt_at: now, finished_at: null, claimed_by: null, claimed_at: null });

export interface AttemptRow {
  id: number;
  message_id: number;
  at: string;
  status: number | null;
  duration_ms: number;
  response: string | null;
  error: string | null;
}

/** The endpoint's newest messages with their attempts. */
export async function recentMessages(db: Knex, endpointId: number, limit = 50): Promise<(MessageRow & { attempts_list: AttemptRow[] })[]> {
  const messages: MessageRow[] = await db('webhook_messages').where({ endpoint_id: endpointId }).orderBy('id', 'desc').limit(limit);
  const attempts: AttemptRow[] = messages.length ? await db('webhook_attempts').whereIn('message_id', messages.map((m) => m.id)).orderBy('id') : [];
  return messages.map((m) => ({ ...m, attempts_list: attempts.filter((a) => a.message_id === m.id) }));
}
