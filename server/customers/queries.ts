import type { Knex } from 'knex';
import crypto from 'node:crypto';
import type { Statements } from '../db/statements.ts';
import { uncountCustomerSends } from '../rollups/sends.ts';
import { uncountCustomerEvents } from '../rollups/events.ts';
import { uncountCustomerSegments } from '../rollups/responses.ts';
import { forgetCustomerResponseValues } from '../rollups/response-values.ts';

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

/**
 * The id an erased customer keeps when the id was an email address (the
 * lower-cased email when the business sends no id): a hash, so the address is
 * gone but an event for it still finds the erased customer (and is suppressed).
 */
export const erasedExternalId = (externalId: string): string =>
  `erased-${crypto.createHash('sha256').update(externalId, 'utf8').digest('hex').slice(0, 40)}`;

/** Whether an erased customer's id must be replaced by its hash. */
export const externalIdIsPersonal = (externalId: string): boolean => externalId.includes('@');

/** The customer with this id, or the erased customer whose id it was. */
export const findCustomerByExternalId = (db: Knex, externalId: string): Promise<CustomerRow | undefined> =>
  db('customers')
    .whereIn('external_id', [externalId, erasedExternalId(externalId)])
    .orderBy('id')
    .first();

/** The customers with these external ids (as stored: an erased customer's hashed id is not looked for), inside a prepared transaction. */
export async function findCustomersByExternalIds(sql: Statements, externalIds: readonly string[]): Promise<CustomerRow[]> {
  if (externalIds.length === 0) return [];
  return sql.rows<CustomerRow>(`SELECT * FROM customers WHERE external_id IN (${externalIds.map(() => '?').join(', ')})`, externalIds);
}

export const findCustomerById = (db: Knex, id: number): Promise<CustomerRow | undefined> => db('customers').where({ id }).first();

export const factFields = ['email', 'name', 'locale', 'time_zone'] as const;

/**
 * Creates each customer when new, else brings the fields its facts give (email, name, locale, time zone)
 * up to date (a field not given, or given as null, stays as stored). One statement for them all inserts the
 * new ones and takes every one's lock (every decision about one of them is serialised from here to the end
 * of the transaction); a second one, only when some known customer's facts changed, writes those
 * (updateChangedFacts). The upsert is the transaction's first write to each row and sets updated_at, as lockCustomer does
 * (server/db/dialect.ts): on PostgreSQL `ON CONFLICT DO UPDATE` locks each existing row until the commit (a
 * second transaction for the customer waits in this statement, then sees the first one's writes), and two
 * first events of a new customer meet on the unique external_id (the second waits for the first's insert,
 * then updates and locks the row); on SQLite the write transaction already excludes every other writer.
 * Rows go in in external_id order, so two transactions lock shared customers in the same order.
 *
 * An erased customer keeps nothing new. When the id was an email address it is stored hashed
 * (erasedExternalId): a customer with that hashed id wins over one with the id itself, so the statement
 * inserts or updates nothing for it (NOT EXISTS, one look in the unique index), and the erased customers
 * are locked and answered by a second statement. An erased customer whose id stayed as it was is matched
 * by the upsert, which then changes nothing but updated_at. (The SELECT needs its WHERE on SQLite too:
 * without one, SQLite would read ON CONFLICT as the ON of a join.)
 *
 * `facts` holds one entry per customer (external ids differ). The rows come back by external id, as the
 * facts named it.
 */
export async function upsertCustomers(sql: Statements, facts: readonly CustomerFacts[], nowIso: string): Promise<Map<string, CustomerRow>> {
  const found = new Map<string, CustomerRow>();
  if (facts.length === 0) return found;
  const sorted = [...facts].sort((a, b) => (a.external_id < b.external_id ? -1 : a.external_id > b.external_id ? 1 : 0));
  const row = "SELECT ? AS external_id, ? AS email, ? AS name, ? AS locale, ? AS time_zone, '{}' AS properties, ? AS created_at, ? AS updated_at, ? AS erased_id";
  // A known customer's row is touched for updated_at alone here: setting a fact to the value it has would
  // still rewrite its index entries (email), a page written per event for nothing.
  const upserted = await sql.rows<CustomerRow>(
    `INSERT INTO customers (external_id, email, name, locale, time_zone, properties, created_at, updated_at)
     SELECT external_id, email, name, locale, time_zone, properties, created_at, updated_at
     FROM (${sorted.map(() => row).join(' UNION ALL ')}) AS given
     WHERE NOT EXISTS (SELECT 1 FROM customers WHERE customers.external_id = given.erased_id)
     ON CONFLICT (external_id) DO UPDATE SET updated_at = excluded.updated_at
     RETURNING *`,
    sorted.flatMap((f) => [f.external_id, f.email ?? null, f.name ?? null, f.locale ?? null, f.time_zone ?? null, nowIso, nowIso, erasedExternalId(f.external_id)]),
  );
  for (const customer of upserted) found.set(customer.external_id, customer);
  await updateChangedFacts(sql, sorted, found);
  const erasedIds = sorted.filter((f) => !found.has(f.external_id)).map((f) => erasedExternalId(f.external_id));
  if (erasedIds.length === 0) return found;
  // The erased customers whose ids these were: locked, and answered as stored.
  const erased = await sql.rows<CustomerRow>(`UPDATE customers SET updated_at = ? WHERE external_id IN (${erasedIds.map(() => '?').join(', ')}) RETURNING *`, [nowIso, ...erasedIds]);
  const byErasedId = new Map(erased.map((customer) => [customer.external_id, customer]));
  for (const f of sorted) {
    if (found.has(f.external_id)) continue;
    const customer = byErasedId.get(erasedExternalId(f.external_id));
    if (!customer) throw new Error('upsertCustomers: an erased customer was neither found nor inserted');
    found.set(f.external_id, customer);
  }
  return found;
}

/**
 * The facts that change a known customer (given, not null, not what is stored; an erased customer keeps
 * nothing new) written in one statement for those customers only, and `found` brought up to date.
 */
async function updateChangedFacts(sql: Statements, facts: readonly CustomerFacts[], found: Map<string, CustomerRow>): Promise<void> {
  const changed = facts.flatMap((f) => {
    const stored = found.get(f.external_id);
    return stored && !stored.erased_at && factFields.some((field) => f[field] != null && f[field] !== stored[field]) ? [{ stored, f }] : [];
  });
  if (changed.length === 0) return;
  const row = 'SELECT CAST(? AS integer) AS id, ? AS email, ? AS name, ? AS locale, ? AS time_zone';
  await sql.run(
    `UPDATE customers SET ${factFields.map((field) => `${field} = COALESCE(given.${field}, customers.${field})`).join(', ')}
     FROM (${changed.map(() => row).join(' UNION ALL ')}) AS given
     WHERE customers.id = given.id`,
    changed.flatMap(({ stored, f }) => [stored.id, ...factFields.map((field) => f[field] ?? null)]),
  );
  for (const { stored, f } of changed) {
    const updated = { ...stored };
    for (const field of factFields) updated[field] = f[field] ?? stored[field];
    found.set(f.external_id, updated);
  }
}

/** One customer's upsert (upsertCustomers). */
export async function upsertCustomer(sql: Statements, facts: CustomerFacts, nowIso: string): Promise<CustomerRow> {
  return (await upsertCustomers(sql, [facts], nowIso)).get(facts.external_id)!;
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
        'invitations.web_until',
        'invitations.dismissed_at',
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

// ---------------------------------------------------------------------------
// What people did to a customer's record, erasure and export.

export interface CustomerActionRow {
  id: number;
  customer_id: number;
  kind: 'bounce_cleared' | 'erased';
  at: string;
  user_id: number | null;
  by: string;
  detail: string;
}

export const customerActions = (db: Knex, customerId: number): Promise<CustomerActionRow[]> =>
  db('customer_actions').where({ customer_id: customerId }).orderBy('id');

export async function insertCustomerAction(trx: Knex.Transaction, action: Omit<CustomerActionRow, 'id'>): Promise<void> {
  await trx('customer_actions').insert(action);
}

/** Forgets a hard bounce: the address may be written to again. */
export async function clearCustomerBounce(trx: Knex.Transaction, customerId: number, nowIso: string): Promise<void> {
  await trx('customers').where({ id: customerId }).update({ bounced_at: null, bounce_reason: null, updated_at: nowIso });
}

/**
 * Erases what identifies the customer or was said by them: email, name,
 * locale, time zone and properties of the customer; an email-like id; the
 * properties of their events; comments and properties of their responses and answers (held ones are discarded); the
 * errors mail servers answered about their address; the user agents of their
 * link clicks; notes on their answers; dev-mailbox copies of mail to them.
 * Scores, states and times stay, so metrics and the daily rollup do not change.
 */
export async function eraseCustomerData(trx: Knex.Transaction, customer: CustomerRow, nowIso: string): Promise<void> {
  const id = customer.id;
  await trx('customers')
    .where({ id })
    .update({
      external_id: externalIdIsPersonal(customer.external_id) ? erasedExternalId(customer.external_id) : customer.external_id,
      email: null,
      name: null,
      locale: null,
      time_zone: null,
      properties: '{}',
      bounce_reason: null,
      erased_at: nowIso,
      updated_at: nowIso,
    });
  // Their invitations leave the send rollup's segments before their events' properties go.
  await uncountCustomerSends(trx, id);
  await uncountCustomerEvents(trx, id);
  await trx('events').where({ customer_id: id }).update({ properties: '{}' });
  // Their answers leave their segments (they count under "(none)" from now on) before the properties go.
  await uncountCustomerSegments(trx, id);
  await forgetCustomerResponseValues(trx, id);
  await trx('responses').where({ customer_id: id }).update({ comment: null, properties: '{}' });
  // Every answer they gave, held ones never to count.
  await trx('answers').where({ customer_id: id, state: 'held' }).update({ state: 'discarded', reason: 'erased', settles_at: null, decided_at: nowIso });
  await trx('answers').where({ customer_id: id }).update({ comment: null, properties: null, user_agent: null });
  await trx('invitations').where({ customer_id: id }).update({ last_error: null, reminder_last_error: null });
  const invitationIds = trx('invitations').where({ customer_id: id }).select('id');
  await trx('link_clicks').whereIn('invitation_id', invitationIds).update({ user_agent: null });
  await trx('follow_ups').whereIn('response_id', trx('responses').where({ customer_id: id }).select('id')).update({ note: '' });
  if (customer.email) {
    await trx('mailbox_messages').whereRaw("lower(??) like ? escape '\\'", ['to', `%${likeEscape(customer.email.toLowerCase())}%`]).delete();
  }
  // What was kept about a cleared bounce: its time only.
  for (const action of await customerActions(trx, id)) {
    const detail = JSON.parse(action.detail || '{}') as Record<string, unknown>;
    if ('reason' in detail) {
      delete detail.reason;
      await trx('customer_actions').where({ id: action.id }).update({ detail: JSON.stringify(detail) });
    }
  }
}

/** Everything stored about one customer, as rows (token salts and hashes left out: they are keys, not data). */
export async function customerExportRows(db: Knex, customerId: number) {
  const [customer, events, invitations, responses, touchpointUnsubscribes, linkClicks, actions] = await Promise.all([
    findCustomerById(db, customerId),
    db('events')
      .join('touchpoints', 'touchpoints.id', 'events.touchpoint_id')
      .leftJoin('surveys', 'surveys.id', 'events.survey_id')
      .where('events.customer_id', customerId)
      .orderBy('events.id')
      .select('events.*', 'touchpoints.key as touchpoint', 'surveys.key as survey'),
    db('invitations')
      .join('surveys', 'surveys.id', 'invitations.survey_id')
      .where('invitations.customer_id', customerId)
      .orderBy('invitations.id')
      .select('invitations.*', 'surveys.key as survey'),
    db('responses')
      .join('surveys', 'surveys.id', 'responses.survey_id')
      .where('responses.customer_id', customerId)
      .orderBy('responses.id')
      .select('responses.*', 'surveys.key as survey', 'surveys.metric'),
    db('touchpoint_unsubscribes')
      .join('touchpoints', 'touchpoints.id', 'touchpoint_unsubscribes.touchpoint_id')
      .where('touchpoint_unsubscribes.customer_id', customerId)
      .select('touchpoints.key as touchpoint', 'touchpoint_unsubscribes.created_at'),
    db('link_clicks')
      .whereIn('invitation_id', db('invitations').where({ customer_id: customerId }).select('id'))
      .orderBy('id')
      .select('*'),
    customerActions(db, customerId),
  ]);
  return { customer: customer!, events, invitations, responses, touchpointUnsubscribes, linkClicks, actions };
}
