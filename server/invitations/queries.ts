import type { Knex } from 'knex';
import { InvitationStates, type InvitationState } from './states.ts';
import { toDbTime } from '../db/time.ts';
import { countResponded, type Sent } from '../rollups/sends.ts';

/**
 * The invitation's lookups and writes outside the sending outbox (outbox.ts, reminder-queries.ts): its
 * creation when an event is scheduled, the lookup of a link's token, and its answer.
 */

const idOf = (row: unknown): number => Number(typeof row === 'object' && row ? (row as { id: number }).id : row);

export interface NewInvitation {
  survey_id: number;
  event_id: number;
  customer_id: number;
  channel: string;
  locale: string;
  send_at: string;
  token_salt: string;
  token_hash: string;
  expires_at: string | null;
  created_at: string;
}

/** A scheduled invitation: the outbox row the sending worker claims when it is due. */
export async function insertScheduledInvitation(trx: Knex.Transaction, invitation: NewInvitation): Promise<number> {
  const [row] = await trx('invitations')
    .insert({ ...invitation, state: InvitationStates.scheduled, attempts: 0, updated_at: invitation.created_at })
    .returning('id');
  const id = idOf(row);
  await trx('events').where({ id: invitation.event_id }).update({ invitation_id: id });
  return id;
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
    );

/**
 * The first write of an answer's transaction: it holds the invitation's row,
 * so two answers to one invitation arriving together are taken one after the other.
 */
export async function lockInvitation(trx: Knex.Transaction, invitationId: number, at: Date): Promise<void> {
  await trx('invitations').where({ id: invitationId }).update({ updated_at: toDbTime(at) });
}

/** The invitation's first answer: it is responded from now on, and counts so on the day it was sent. */
export async function markInvitationResponded(trx: Knex.Transaction, invitationId: number, at: Date, reportingTimeZone: string, known?: Sent): Promise<void> {
  const marked = await trx('invitations')
    .where({ id: invitationId })
    .whereNull('responded_at')
    .update({ state: InvitationStates.responded, responded_at: toDbTime(at), updated_at: toDbTime(at) });
  if (marked > 0) await countResponded(trx, invitationId, reportingTimeZone, known);
}
