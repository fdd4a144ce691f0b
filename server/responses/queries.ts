import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import type { ResponseRow } from './store.ts';
import type { ClickKind } from './scanner.ts';

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

