import type { Knex } from 'knex';

/** One recorded event as the replay needs it. */
export interface ReplayEvent {
  id: number;
  customer_id: number;
  touchpoint_id: number;
  transaction_id: string;
  occurred_at: string;
  received_at: string;
  survey_id: number | null;
  decision: 'scheduled' | 'suppressed';
  reason: string | null;
  reason_detail: string | null;
  properties: string | null;
}

interface ReplayCustomer {
  id: number;
  external_id: string;
  email: string | null;
  time_zone: string | null;
  unsubscribed_at: string | null;
  bounced_at: string | null;
  erased_at: string | null;
}

/** The next customers (by id, after `afterId`) with an event received in [from, to). */
export async function customersWithEvents(db: Knex, fromIso: string, toIso: string, afterId: number, limit: number): Promise<number[]> {
  // Test events (the first-run checklist's, sent to a colleague) are no customer's: the replay leaves them out.
  const rows: { customer_id: number }[] = await db('events')
    .whereNot('source', 'test')
    .where('received_at', '>=', fromIso)
    .andWhere('received_at', '<', toIso)
    .andWhere('customer_id', '>', afterId)
    .distinct('customer_id')
    .orderBy('customer_id')
    .limit(limit);
  return rows.map((r) => Number(r.customer_id));
}

/** Everything the replay needs about these customers: events in the window, what came before it. */
export async function replayRecords(db: Knex, customerIds: number[], fromIso: string, toIso: string) {
  const [events, customers, touchpointUnsubscribes, invitationsBefore, responses] = await Promise.all([
    db('events')
      .whereIn('customer_id', customerIds)
      .whereNot('source', 'test')
      .andWhere('received_at', '>=', fromIso)
      .andWhere('received_at', '<', toIso)
      .orderBy([{ column: 'customer_id' }, { column: 'received_at' }, { column: 'id' }])
      .select('id', 'customer_id', 'touchpoint_id', 'transaction_id', 'occurred_at', 'received_at', 'survey_id', 'decision', 'reason', 'reason_detail', 'properties') as Promise<ReplayEvent[]>,
    db('customers').whereIn('id', customerIds).select('id', 'external_id', 'email', 'time_zone', 'unsubscribed_at', 'bounced_at', 'erased_at') as Promise<ReplayCustomer[]>,
    db('touchpoint_unsubscribes').whereIn('customer_id', customerIds).select('customer_id', 'touchpoint_id', 'created_at') as Promise<{ customer_id: number; touchpoint_id: number; created_at: string }[]>,
    // Invitations decided before the window: the history the replay starts from.
    db('invitations')
      .whereIn('customer_id', customerIds)
      .andWhere('created_at', '<', fromIso)
      .andWhere('is_test', false)
      .whereIn('state', ['scheduled', 'sending', 'sent', 'responded'])
      .select('customer_id', 'survey_id', 'send_at', 'sent_at') as Promise<{ customer_id: number; survey_id: number; send_at: string; sent_at: string | null }[]>,
    // Responses up to the window's end, with the event their invitation came from.
    db('responses')
      .leftJoin('invitations', 'invitations.id', 'responses.invitation_id')
      .whereIn('responses.customer_id', customerIds)
      .andWhere('responses.answered_at', '<', toIso)
      .select('responses.customer_id', 'responses.survey_id', 'responses.answered_at', 'invitations.event_id', 'invitations.created_at as invited_at') as Promise<
      { customer_id: number; survey_id: number; answered_at: string; event_id: number | null; invited_at: string | null }[]
    >,
  ]);
  return { events, customers, touchpointUnsubscribes, invitationsBefore, responses };
}

/** Reasons given before the sample that a proposed survey would give as well: such events never reach the sampling step. */
const beforeSample = ['duplicate_event', 'too_old', 'invalid_contact', 'erased', 'unsubscribed', 'bounced'];

/**
 * A touchpoint's events received in [from, to), oldest first, with whether each reached the sampling step
 * (for a precision target's day-by-day rates; an event no survey answered would have reached it under the
 * proposed one).
 */
export async function touchpointEvents(db: Knex, touchpointId: number, fromIso: string, toIso: string) {
  const rows: { received_at: string; transaction_id: string; properties: string | null; reason: string | null }[] = await db('events')
    .where({ touchpoint_id: touchpointId })
    .whereNot('source', 'test')
    .andWhere('received_at', '>=', fromIso)
    .andWhere('received_at', '<', toIso)
    .orderBy([{ column: 'received_at' }, { column: 'id' }])
    .select('received_at', 'transaction_id', 'properties', 'reason');
  return rows.map((r) => ({ received_at: r.received_at, transaction_id: r.transaction_id, properties: r.properties, reached: !r.reason || !beforeSample.includes(r.reason) }));
}
