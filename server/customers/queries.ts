import type { Knex } from 'knex';
import { lockCustomer } from '../db/dialect.ts';

export interface CustomerRow {
  id: number;
  external_id: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  time_zone: string | null;
  properties: string;
  unsubscribed_at: string | null;
  bounced_at: string | null;
  bounce_reason: string | null;
  erased_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What an event says about its customer; absent fields leave the stored value alone. */
export interface CustomerFacts {
  external_id: string;
  email?: string;
  name?: string;
  locale?: string;
  time_zone?: string;
}

export const findCustomerByExternalId = (db: Knex, externalId: string): Promise<CustomerRow | undefined> =>
  db('customers').where({ external_id: externalId }).first();

export const findCustomerById = (db: Knex, id: number): Promise<CustomerRow | undefined> => db('customers').where({ id }).first();

/**
 * Creates the customer when new, then takes the customer's lock (the first
 * write to an existing row) and brings email, name, locale and time zone up to
 * date. An erased customer keeps nothing new.
 */
export async function upsertCustomer(trx: Knex.Transaction, facts: CustomerFacts, nowIso: string): Promise<CustomerRow> {
  await trx('customers')
    .insert({
      external_id: facts.external_id,
      email: facts.email ?? null,
      name: facts.name ?? null,
      locale: facts.locale ?? null,
      time_zone: facts.time_zone ?? null,
      properties: '{}',
      created_at: nowIso,
      updated_at: nowIso,
    })
    .onConflict('external_id')
    .ignore();
  const { id } = (await trx('customers').where({ external_id: facts.external_id }).first('id')) as { id: number };
  await lockCustomer(trx, id, nowIso);
  const row = (await findCustomerById(trx, id))!;
  if (row.erased_at) return row;
  const changes: Partial<CustomerRow> = {};
  for (const field of ['email', 'name', 'locale', 'time_zone'] as const) {
    const value = facts[field];
    if (value !== undefined && value !== row[field]) changes[field] = value;
  }
  if (Object.keys(changes).length) await trx('customers').where({ id }).update(changes);
  return { ...row, ...changes };
}

/** Everything that happened to one customer, for the timeline. */
export async function customerRecords(db: Knex, customerId: number) {
  const [events, invitations, responses, touchpointUnsubscribes] = await Promise.all([
    db('events')
      .join('touchpoints', 'touchpoints.id', 'events.touchpoint_id')
      .leftJoin('surveys', 'surveys.id', 'events.survey_id')
      .where('events.customer_id', customerId)
      .orderBy('events.id')
      .select(
        'events.id',
        'touchpoints.key as touchpoint',
        'surveys.key as survey',
        'events.transaction_id',
        'events.occurred_at',
        'events.received_at',
        'events.source',
        'events.properties',
        'events.decision',
        'events.reason',
        'events.reason_detail',
        'events.send_at',
        'events.invitation_id',
      ),
    db('invitations')
      .join('surveys', 'surveys.id', 'invitations.survey_id')
      .where('invitations.customer_id', customerId)
      .orderBy('invitations.id')
      .select(
        'invitations.id',
        'invitations.event_id',
        'surveys.key as survey',
        'invitations.channel',
        'invitations.locale',
        'invitations.state',
        'invitations.send_at',
        'invitations.sent_at',
        'invitations.responded_at',
        'invitations.attempts',
        'invitations.last_error',
        'invitations.reason',
        'invitations.reason_detail',
        'invitations.created_at',
        'invitations.updated_at',
      ),
    db('responses')
      .join('surveys', 'surveys.id', 'responses.survey_id')
      .where('responses.customer_id', customerId)
      .orderBy('responses.id')
      .select(
        'responses.id',
        'responses.invitation_id',
        'surveys.key as survey',
        'surveys.metric',
        'responses.score',
        'responses.comment',
        'responses.channel',
        'responses.answered_at',
        'responses.updated_at',
      ),
    db('touchpoint_unsubscribes')
      .join('touchpoints', 'touchpoints.id', 'touchpoint_unsubscribes.touchpoint_id')
      .where('touchpoint_unsubscribes.customer_id', customerId)
      .select('touchpoints.key as touchpoint', 'touchpoint_unsubscribes.created_at'),
  ]);
  return { events, invitations, responses, touchpointUnsubscribes };
}

/** `%` and `_` match themselves in a LIKE pattern. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export type CustomerListRow = Pick<CustomerRow, 'id' | 'external_id' | 'email' | 'name' | 'unsubscribed_at' | 'bounced_at' | 'erased_at' | 'created_at' | 'updated_at'>;
const listColumns = ['id', 'external_id', 'email', 'name', 'unsubscribed_at', 'bounced_at', 'erased_at', 'created_at', 'updated_at'];

/**
 * Customers whose external id or email contains `text` (case-insensitive),
 * exact matches first, at most `limit`; without text, the latest seen.
 */
export function searchCustomers(db: Knex, text: string, limit: number): Promise<CustomerListRow[]> {
  const query = db('customers').select(listColumns).limit(limit);
  if (!text) return query.orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
  const needle = text.toLowerCase();
  const pattern = `%${likeEscape(needle)}%`;
  return query
    .where((q) => q.whereRaw("lower(external_id) like ? escape '\\'", [pattern]).orWhereRaw("lower(email) like ? escape '\\'", [pattern]))
    .orderByRaw('case when lower(external_id) = ? or lower(email) = ? then 0 else 1 end', [needle, needle])
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc');
}
