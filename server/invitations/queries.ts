import type { Knex } from 'knex';
import { InvitationStates, type InvitationState } from './states.ts';
import { toDbTime } from '../db/time.ts';
import { statementsFor, type Statements } from '../db/statements.ts';
import { countResponded, type RespondedCounts, type Sent } from '../rollups/sends.ts';

/**
 * The invitation's lookups and writes outside the sending outbox (outbox.ts, reminder-queries.ts): its
 * creation when an event is scheduled, the lookup of a link's token, and its answer.
 */


export interface NewInvitation {
  survey_id: number;
  event_id: number;
  customer_id: number;
  channel: string;
  /** scheduled (the worker emails it when due), or waiting (for the widget, until web_until). */
  state: 'scheduled' | 'waiting';
  locale: string;
  send_at: string;
  web_until: string | null;
  token_salt: string;
  /** Which key the link token is derived with (server/tokens.ts). */
  token_key_version: number;
  token_hash: string;
  expires_at: string | null;
  /** 1: a test invitation (the first-run checklist's), sent at once and counted nowhere; else 0. */
  is_test: 0 | 1;
  created_at: string;
}

const newInvitationColumns = ['survey_id', 'event_id', 'customer_id', 'channel', 'state', 'locale', 'send_at', 'web_until', 'token_salt', 'token_key_version', 'token_hash', 'expires_at', 'is_test', 'created_at'] as const;
// Every field of NewInvitation has its column (a field left out would be dropped without a word).
const allColumns: Exclude<keyof NewInvitation, (typeof newInvitationColumns)[number]> extends never ? true : never = true;
void allColumns;

/**
 * Scheduled invitations (the outbox rows the sending worker claims when they are due), in one statement,
 * each linked from its event in another; their ids, in the order given.
 */
export async function insertScheduledInvitations(sql: Statements, invitations: readonly NewInvitation[]): Promise<number[]> {
  if (invitations.length === 0) return [];
  const row = `(${newInvitationColumns.map(() => '?').join(', ')}, 0, ?)`;
  const rows = await sql.rows<{ id: number; event_id: number }>(
    `INSERT INTO invitations (${newInvitationColumns.join(', ')}, attempts, updated_at) VALUES ${invitations.map(() => row).join(', ')} RETURNING id, event_id`,
    invitations.flatMap((invitation) => [...newInvitationColumns.map((column) => invitation[column]), invitation.created_at]),
  );
  // RETURNING's order is not promised: matched by event (an event has at most one invitation).
  const ids = new Map(rows.map((r) => [Number(r.event_id), Number(r.id)]));
  const linked = invitations.map((invitation) => [invitation.event_id, ids.get(invitation.event_id)!] as const);
  await sql.run(
    `UPDATE events SET invitation_id = CASE id ${linked.map(() => 'WHEN ? THEN CAST(? AS integer)').join(' ')} END WHERE id IN (${linked.map(() => '?').join(', ')})`,
    [...linked.flat(), ...linked.map(([eventId]) => eventId)],
  );
  return linked.map(([, id]) => id);
}

/** An invitation as its link page needs it: with the customer's time zone and the event's properties. */
export interface InvitationForLink {
  id: number;
  survey_id: number;
  event_id: number;
  customer_id: number;
  locale: string;
  state: InvitationState;
  sent_at: string | null;
  expires_at: string | null;
  responded_at: string | null;
  customer_time_zone: string | null;
  customer_erased_at: string | null;
  event_properties: string | null;
  /** A test invitation (the first-run checklist's): its answer is kept as a test, never counted. */
  is_test: boolean | number;
}

export const findInvitationByTokenHash = (db: Knex, tokenHash: string): Promise<InvitationForLink | undefined> =>
  db('invitations')
    .join('customers', 'customers.id', 'invitations.customer_id')
    .leftJoin('events', 'events.id', 'invitations.event_id')
    .where('invitations.token_hash', tokenHash)
    .first(
      'invitations.id',
      'invitations.survey_id',
      'invitations.event_id',
      'invitations.customer_id',
      'invitations.locale',
      'invitations.state',
      'invitations.sent_at',
      'invitations.expires_at',
      'invitations.responded_at',
      'customers.time_zone as customer_time_zone',
      'customers.erased_at as customer_erased_at',
      'events.properties as event_properties',
      'invitations.is_test',
    );

/**
 * The first statement of an answer's transaction on the prepared path: it holds the row of the token's
 * invitation (a write that changes nothing), so what the answer reads next is current (PostgreSQL: a
 * statement after the lock sees what the answer before it committed) and two answers to one invitation are
 * taken one after the other. Nothing when the token is unknown.
 */
export async function holdInvitationOfToken(sql: Statements, tokenHash: string): Promise<void> {
  await sql.run('UPDATE invitations SET updated_at = updated_at WHERE token_hash = ?', [tokenHash]);
}

/**
 * An answer's write of the invitation (its first write on knex's paths): it holds the invitation's row,
 * so two answers to one invitation arriving together are taken one after the other.
 */
export async function lockInvitation(db: Statements | Knex.Transaction, invitationId: number, at: Date): Promise<void> {
  await (await statementsFor(db)).run('UPDATE invitations SET updated_at = ? WHERE id = ?', [toDbTime(at), invitationId]);
}

/**
 * The invitation's first answer: it is responded from now on, and counts so on the day it was sent. In the
 * answer's transaction (its prepared statements, or a knex transaction's); `known`: the invitation's survey,
 * sending time and event properties when the caller has them (saves a read); `counts`: where the answers
 * stored together gather their counts, written before the transaction commits (else counted now).
 */
export async function markInvitationResponded(
  db: Statements | Knex.Transaction,
  invitationId: number,
  at: Date,
  reportingTimeZone: string,
  known?: Sent,
  counts?: RespondedCounts,
): Promise<void> {
  const sql = await statementsFor(db);
  const marked = await sql.run('UPDATE invitations SET state = ?, responded_at = ?, updated_at = ? WHERE id = ? AND responded_at IS NULL', [
    InvitationStates.responded,
    toDbTime(at),
    toDbTime(at),
    invitationId,
  ]);
  if (marked > 0) await countResponded(sql, invitationId, reportingTimeZone, known, counts);
}

/** Whether the email with this Message-ID is a test invitation's (the first-run checklist's, sent to the person who asked). */
export async function isTestInvitationMail(db: Knex, messageId: string): Promise<boolean> {
  return !!(await db('invitations').where({ message_id: messageId, is_test: true }).first('id'));
}
