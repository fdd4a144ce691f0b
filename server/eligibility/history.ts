import type { Knex } from 'knex';
import type { History } from './model.ts';

/**
 * What the contact rules need to know of one customer's past: their
 * invitations in `states` (for scheduled ones the planned send time, else when
 * they went out) and their responses.
 */
export async function customerHistory(
  db: Knex,
  customerId: number,
  states: readonly string[],
  options: { exceptInvitationId?: number } = {},
): Promise<History> {
  const invitationQuery = db('invitations')
    .where({ customer_id: customerId })
    .whereIn('state', [...states])
    .select('id', 'survey_id', 'state', 'send_at', 'sent_at');
  if (options.exceptInvitationId) invitationQuery.whereNot({ id: options.exceptInvitationId });
  const [invitations, responses] = await Promise.all([
    invitationQuery,
    db('responses').where({ customer_id: customerId }).select('survey_id', 'answered_at'),
  ]);
  return {
    invitations: invitations.map((i: { survey_id: number; state: string; send_at: string; sent_at: string | null }) => ({
      survey_id: i.survey_id,
      state: i.state,
      at: new Date(i.sent_at ?? i.send_at),
    })),
    responses: responses.map((r: { survey_id: number; answered_at: string }) => ({ survey_id: r.survey_id, at: new Date(r.answered_at) })),
  };
}

/** When the customer unsubscribed from this touchpoint only, or null. */
export async function touchpointUnsubscribedAt(db: Knex, customerId: number, touchpointId: number): Promise<string | null> {
  const row = await db('touchpoint_unsubscribes').where({ customer_id: customerId, touchpoint_id: touchpointId }).first('created_at');
  return row?.created_at ?? null;
}
