import type { Knex } from 'knex';
import { NotFoundError } from '../errors.ts';
import { customerActions, customerRecords, findCustomerByExternalId, type CustomerRow } from './queries.ts';

export type TimelineEntry = { kind: string; at: string } & Record<string, unknown>;

/** The customer as the API shows it. */
export const presentCustomer = (c: CustomerRow) => ({
  id: c.external_id,
  email: c.email,
  name: c.name,
  locale: c.locale,
  time_zone: c.time_zone,
  unsubscribed_at: c.unsubscribed_at,
  bounced_at: c.bounced_at,
  erased_at: c.erased_at,
  created_at: c.created_at,
});

// Entries at the same instant read in the order things happen.
const kindOrder = ['event', 'invitation', 'sent', 'dismissed', 'response', 'unsubscribe', 'bounce', 'bounce_cleared', 'erased'];

/** A JSON column's value; {} when it does not parse. */
export const parseJson = (text: string) => {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
};

/**
 * "Why did this customer get no survey?": every event with its decision,
 * every invitation with its state and times, responses, unsubscribes, bounces
 * and erasure, in time order.
 */
export async function customerTimeline(db: Knex, externalId: string): Promise<{ customer: ReturnType<typeof presentCustomer>; timeline: TimelineEntry[] }> {
  const customer = await findCustomerByExternalId(db, externalId);
  if (!customer) throw new NotFoundError(`No customer has the id ${externalId}`);
  const [records, actions] = await Promise.all([customerRecords(db, customer.id), customerActions(db, customer.id)]);
  const timeline: TimelineEntry[] = [];
  for (const e of records.events) {
    timeline.push({
      kind: 'event',
      at: e.received_at,
      event_id: e.id,
      touchpoint: e.touchpoint,
      survey: e.survey,
      transaction_id: e.transaction_id,
      occurred_at: e.occurred_at,
      source: e.source,
      properties: parseJson(e.properties),
      decision: e.decision,
      reason: e.reason,
      detail: e.reason_detail,
      send_at: e.send_at,
      invitation_id: e.invitation_id,
    });
  }
  for (const i of records.invitations) {
    timeline.push({
      kind: 'invitation',
      at: i.created_at,
      invitation_id: i.id,
      event_id: i.event_id,
      survey: i.survey,
      channel: i.channel,
      locale: i.locale,
      state: i.state,
      send_at: i.send_at,
      sent_at: i.sent_at,
      ...(i.channel === 'web' ? { web_until: i.web_until, dismissed_at: i.dismissed_at } : {}),
      responded_at: i.responded_at,
      attempts: i.attempts,
      last_error: i.last_error,
      reason: i.reason,
      detail: i.reason_detail,
      updated_at: i.updated_at,
    });
    if (i.sent_at) timeline.push({ kind: 'sent', at: i.sent_at, invitation_id: i.id, survey: i.survey, channel: i.channel });
    if (i.dismissed_at) timeline.push({ kind: 'dismissed', at: i.dismissed_at, invitation_id: i.id, survey: i.survey });
  }
  for (const r of records.responses) {
    timeline.push({
      kind: 'response',
      at: r.answered_at,
      response_id: r.id,
      invitation_id: r.invitation_id,
      survey: r.survey,
      metric: r.metric,
      score: r.score,
      comment: r.comment,
      channel: r.channel,
      updated_at: r.updated_at,
    });
  }
  if (customer.unsubscribed_at) timeline.push({ kind: 'unsubscribe', at: customer.unsubscribed_at, scope: 'all' });
  for (const u of records.touchpointUnsubscribes) timeline.push({ kind: 'unsubscribe', at: u.created_at, scope: 'touchpoint', touchpoint: u.touchpoint });
  if (customer.bounced_at) timeline.push({ kind: 'bounce', at: customer.bounced_at, reason: customer.bounce_reason });
  let erasedBy: string | undefined;
  for (const a of actions) {
    if (a.kind === 'erased') erasedBy = a.by;
    if (a.kind !== 'bounce_cleared') continue;
    // The bounce that was cleared, then who cleared it.
    const before = parseJson(a.detail) as { bounced_at?: string; reason?: string | null };
    if (before.bounced_at) timeline.push({ kind: 'bounce', at: before.bounced_at, reason: before.reason ?? null, cleared_at: a.at });
    timeline.push({ kind: 'bounce_cleared', at: a.at, by: a.by, bounced_at: before.bounced_at ?? null });
  }
  if (customer.erased_at) timeline.push({ kind: 'erased', at: customer.erased_at, ...(erasedBy ? { by: erasedBy } : {}) });
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind)));
  return { customer: presentCustomer(customer), timeline };
}

export async function findCustomer(db: Knex, externalId: string) {
  const customer = await findCustomerByExternalId(db, externalId);
  if (!customer) throw new NotFoundError(`No customer has the id ${externalId}`);
  return presentCustomer(customer);
}
