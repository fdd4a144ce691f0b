import type { Knex } from 'knex';
import { countResponded, type Sent } from './send-rollup.ts';
import { toDbTime } from '../db/time.ts';
import type { ResponseRow } from './store.ts';
import type { ClickKind } from './scanner.ts';

/** An invitation as its link page needs it: with the customer's time zone and the event's properties. */
export interface InvitationForLink {
  id: number;
  survey_id: number;
  event_id: number;
  customer_id: number;
  locale: string;
  state: string;
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

export const findResponseForInvitation = (db: Knex, invitationId: number): Promise<ResponseRow | undefined> =>
  db('responses').where({ invitation_id: invitationId }).first();

export async function isCustomerErased(db: Knex, customerId: number): Promise<boolean> {
  const row = await db('customers').where({ id: customerId }).first('erased_at');
  return Boolean(row?.erased_at);
}

/** The response a signed web link took. */
export const findResponseByLinkKey = (db: Knex, linkKey: string): Promise<ResponseRow | undefined> => db('responses').where({ link_key: linkKey }).first();

export async function insertLinkClick(
  db: Knex,
  click: { invitation_id: number; kind: ClickKind; score: number | null; at: Date; user_agent: string | null; signal?: string | null },
): Promise<number> {
  const [row] = await db('link_clicks')
    .insert({
      invitation_id: click.invitation_id,
      kind: click.kind,
      score: click.score,
      at: toDbTime(click.at),
      user_agent: click.user_agent ? click.user_agent.slice(0, 300) : null,
      signal: click.signal ?? null,
    })
    .returning('id');
  return typeof row === 'object' ? row.id : row;
}

/** One open of this invitation's page, by the id the page carried back. */
export const findOpen = (db: Knex, invitationId: number, clickId: number): Promise<{ id: number; at: string } | undefined> =>
  db('link_clicks').where({ id: clickId, invitation_id: invitationId, kind: 'open' }).first('id', 'at');

export const linkClicksSince = (
  db: Knex,
  invitationId: number,
  since: Date,
  until: Date,
): Promise<{ kind: ClickKind; score: number | null; at: string }[]> =>
  db('link_clicks')
    .where('invitation_id', invitationId)
    .where('at', '>=', toDbTime(since))
    .where('at', '<=', toDbTime(until))
    .orderBy('at')
    .select('kind', 'score', 'at');

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
    .update({ state: 'responded', responded_at: toDbTime(at), updated_at: toDbTime(at) });
  if (marked > 0) await countResponded(trx, invitationId, reportingTimeZone, known);
}
