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

/** What deciding one event reads before it decides (see eventDecisionReads). */
export interface EventDecisionReads {
  /** The event stored before with the same touchpoint and transaction id (the event is a repeat), or null. */
  repeatEventId: number | null;
  /** When the customer unsubscribed from the event's touchpoint only, or null (as touchpointUnsubscribedAt). */
  unsubscribedFromTouchpointAt: string | null;
  /** The customer's invitations in `states` and their responses (as customerHistory). */
  history: History;
}

/**
 * Everything an event's decision reads about its customer, in one statement (four index lookups, one
 * UNION ALL): whether the event was stored before, when the customer left the touchpoint, and their
 * history. Read after the customer's lock, so another decision for the customer is either all seen or not
 * begun. The invitations come first: PostgreSQL types a UNION's columns from left to right.
 */
export async function eventDecisionReads(
  db: Knex,
  event: { customerId: number; touchpointId: number; transactionId: string },
  states: readonly string[],
): Promise<EventDecisionReads> {
  const { customerId, touchpointId, transactionId } = event;
  const none = (type: 'integer' | 'text') => db.raw(`CAST(NULL AS ${type})`);
  const rows: {
    kind: 'invitation' | 'response' | 'unsubscribe' | 'event';
    id: number | null;
    survey_id: number | null;
    state: string | null;
    at: string | null;
    sent_at: string | null;
  }[] = await db('invitations')
    .where({ customer_id: customerId })
    .whereIn('state', [...states])
    .select(db.raw("'invitation' AS kind"), db.raw('CAST(NULL AS integer) AS id'), 'survey_id', 'state', 'send_at AS at', 'sent_at')
    .unionAll((q) => q.from('responses').where({ customer_id: customerId }).select(db.raw("'response'"), none('integer'), 'survey_id', none('text'), 'answered_at', none('text')))
    .unionAll((q) =>
      q
        .from('touchpoint_unsubscribes')
        .where({ customer_id: customerId, touchpoint_id: touchpointId })
        .select(db.raw("'unsubscribe'"), none('integer'), none('integer'), none('text'), 'created_at', none('text')),
    )
    .unionAll((q) =>
      q.from('events').where({ touchpoint_id: touchpointId, transaction_id: transactionId }).select(db.raw("'event'"), 'id', none('integer'), none('text'), none('text'), none('text')),
    );
  const reads: EventDecisionReads = { repeatEventId: null, unsubscribedFromTouchpointAt: null, history: { invitations: [], responses: [] } };
  for (const row of rows) {
    if (row.kind === 'invitation') reads.history.invitations.push({ survey_id: row.survey_id!, state: row.state!, at: new Date(row.sent_at ?? row.at!) });
    else if (row.kind === 'response') reads.history.responses.push({ survey_id: row.survey_id!, at: new Date(row.at!) });
    else if (row.kind === 'unsubscribe') reads.unsubscribedFromTouchpointAt = row.at;
    else reads.repeatEventId = Number(row.id);
  }
  return reads;
}
