import type { Knex } from 'knex';
import type { History } from './model.ts';
import type { Statements } from '../db/statements.ts';

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

/** What deciding events reads of their customers before it decides (see decisionReads). */
export interface DecisionReads {
  /** Each customer's invitations in `states` and responses (as customerHistory), by customer id; none: empty. */
  histories: Map<number, History>;
  /** When each customer unsubscribed from each touchpoint only, by `customerId:touchpointId` (as touchpointUnsubscribedAt). */
  touchpointUnsubscribes: Map<string, string>;
}

/** The key of a customer's unsubscribe from one touchpoint in DecisionReads. */
export const unsubscribeKey = (customerId: number, touchpointId: number) => `${customerId}:${touchpointId}`;

/**
 * Everything the decisions about some customers' events read of them, in one statement (three index
 * lookups per customer, one UNION ALL): their history and when they left the events' touchpoints. Read
 * after the customers' locks, so another decision for one of them is either all seen or not begun. The
 * invitations come first: PostgreSQL types a UNION's columns from left to right.
 */
export async function decisionReads(sql: Statements, customerIds: readonly number[], touchpointIds: readonly number[], states: readonly string[]): Promise<DecisionReads> {
  const reads: DecisionReads = { histories: new Map(), touchpointUnsubscribes: new Map() };
  if (customerIds.length === 0) return reads;
  const marks = (values: readonly unknown[]) => values.map(() => '?').join(', ');
  const rows = await sql.rows<{
    kind: 'invitation' | 'response' | 'unsubscribe';
    customer_id: number;
    /** The survey (invitations, responses) or the touchpoint (unsubscribes). */
    ref_id: number;
    state: string | null;
    at: string;
    sent_at: string | null;
  }>(
    `SELECT 'invitation' AS kind, customer_id, survey_id AS ref_id, state, send_at AS at, sent_at
       FROM invitations WHERE customer_id IN (${marks(customerIds)}) AND state IN (${marks(states)})
     UNION ALL
     SELECT 'response', customer_id, survey_id, CAST(NULL AS text), answered_at, CAST(NULL AS text)
       FROM responses WHERE customer_id IN (${marks(customerIds)})
     UNION ALL
     SELECT 'unsubscribe', customer_id, touchpoint_id, CAST(NULL AS text), created_at, CAST(NULL AS text)
       FROM touchpoint_unsubscribes WHERE customer_id IN (${marks(customerIds)}) AND touchpoint_id IN (${marks(touchpointIds)})`,
    [...customerIds, ...states, ...customerIds, ...customerIds, ...touchpointIds],
  );
  const historyOf = (customerId: number) => {
    let history = reads.histories.get(customerId);
    if (!history) reads.histories.set(customerId, (history = { invitations: [], responses: [] }));
    return history;
  };
  for (const row of rows) {
    const customerId = Number(row.customer_id);
    if (row.kind === 'invitation') historyOf(customerId).invitations.push({ survey_id: Number(row.ref_id), state: row.state!, at: new Date(row.sent_at ?? row.at) });
    else if (row.kind === 'response') historyOf(customerId).responses.push({ survey_id: Number(row.ref_id), at: new Date(row.at) });
    else reads.touchpointUnsubscribes.set(unsubscribeKey(customerId, Number(row.ref_id)), row.at);
  }
  return reads;
}
