import type { Knex } from 'knex';

/** Who an unsubscribe link belongs to, and where they stand. */
export interface UnsubscribeTarget {
  invitation_id: number;
  locale: string;
  customer_id: number;
  /** The business's id for the customer, and their address (for webhooks). */
  external_id: string;
  email: string | null;
  /** An erased customer's links answer nothing (410). */
  erased_at: string | null;
  unsubscribed_at: string | null;
  touchpoint_id: number;
  touchpoint_key: string;
  touchpoint_name: string;
  touchpoint_unsubscribed_at: string | null;
}

export function findUnsubscribeTarget(db: Knex, tokenHash: string): Promise<UnsubscribeTarget | undefined> {
  return db('invitations')
    .join('customers', 'customers.id', 'invitations.customer_id')
    .join('surveys', 'surveys.id', 'invitations.survey_id')
    .join('touchpoints', 'touchpoints.id', 'surveys.touchpoint_id')
    .leftJoin('touchpoint_unsubscribes', (on) =>
      on.on('touchpoint_unsubscribes.customer_id', 'customers.id').andOn('touchpoint_unsubscribes.touchpoint_id', 'touchpoints.id'),
    )
    .where('invitations.token_hash', tokenHash)
    .first(
      'invitations.id as invitation_id',
      'invitations.locale',
      'customers.id as customer_id',
      'customers.external_id',
      'customers.email',
      'customers.unsubscribed_at',
      'customers.erased_at',
      'touchpoints.id as touchpoint_id',
      'touchpoints.key as touchpoint_key',
      'touchpoints.name as touchpoint_name',
      'touchpoint_unsubscribes.created_at as touchpoint_unsubscribed_at',
    );
}

/** The first unsubscribe time is kept when the customer unsubscribes again; whether this one changed anything. */
export async function setUnsubscribedFromAll(db: Knex, customerId: number, nowIso: string): Promise<boolean> {
  return (await db('customers').where({ id: customerId }).whereNull('unsubscribed_at').update({ unsubscribed_at: nowIso, updated_at: nowIso })) > 0;
}

export async function clearUnsubscribedFromAll(db: Knex, customerId: number, nowIso: string): Promise<void> {
  await db('customers').where({ id: customerId }).update({ unsubscribed_at: null, updated_at: nowIso });
}

/** Whether this one changed anything (a second unsubscribe from the touchpoint keeps the first). */
export async function addTouchpointUnsubscribe(db: Knex, customerId: number, touchpointId: number, nowIso: string): Promise<boolean> {
  const inserted = await db('touchpoint_unsubscribes')
    .insert({ customer_id: customerId, touchpoint_id: touchpointId, created_at: nowIso })
    .onConflict(['customer_id', 'touchpoint_id'])
    .ignore()
    .returning('customer_id');
  return inserted.length > 0;
}

export async function removeTouchpointUnsubscribe(db: Knex, customerId: number, touchpointId: number): Promise<void> {
  await db('touchpoint_unsubscribes').where({ customer_id: customerId, touchpoint_id: touchpointId }).delete();
}
