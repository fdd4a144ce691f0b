import type { Deps } from '../deps.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { lockCustomer, writeTransaction } from '../db/dialect.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { clearCustomerBounce, erasedExternalId, eraseCustomerData, externalIdIsPersonal, findCustomerByExternalId, insertCustomerAction, type CustomerRow } from './queries.ts';
import { presentCustomer } from './timeline.ts';

/** Changes to a customer's record: an editor clears a hard bounce; the API erases. */

/** Who did it, as the timeline says it; `audit`: as the audit log says it (with the client address). */
export interface Actor {
  userId: number | null;
  label: string;
  audit?: AuditActor;
}

/**
 * A customer as the audit log names them: by the internal id and an external id that is not personal
 * (an id that is an email is written in its erased form, as erasure would leave it, since audit lines
 * are never changed afterwards).
 */
export const customerTarget = (row: Pick<CustomerRow, 'id' | 'external_id'>) => ({
  type: 'customer',
  id: row.id,
  label: externalIdIsPersonal(row.external_id) ? erasedExternalId(row.external_id) : row.external_id,
});

/**
 * An editor says the address works again: the bounce is forgotten (it no
 * longer stops surveys), and the timeline keeps the bounce, who cleared it and when.
 */
export async function clearBounce(deps: Deps, externalId: string, actor: Actor): Promise<{ cleared: boolean }> {
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  return writeTransaction(deps.db, async (trx) => {
    const row = await findCustomerByExternalId(trx, externalId);
    if (!row) throw new NotFoundError(`No customer has the id ${externalId}`);
    if (row.erased_at) throw new ConflictError('This customer was erased; there is no address to write to');
    await lockCustomer(trx, row.id, nowIso);
    const fresh = (await findCustomerByExternalId(trx, externalId))!;
    if (!fresh.bounced_at) return { cleared: false };
    await insertCustomerAction(trx, {
      customer_id: row.id,
      kind: 'bounce_cleared',
      at: nowIso,
      user_id: actor.userId,
      by: actor.label,
      detail: JSON.stringify({ bounced_at: fresh.bounced_at, reason: fresh.bounce_reason }),
    });
    await clearCustomerBounce(trx, row.id, nowIso);
    if (actor.audit) await audit(trx, { actor: actor.audit, action: 'customer.bounce_cleared', target: customerTarget(row), detail: { bounced_at: fresh.bounced_at } }, now);
    return { cleared: true };
  });
}

/**
 * Erases the customer's personal data (see eraseCustomerData) and marks them
 * erased: later events for them are recorded as suppressed `erased`, with no
 * properties. Scores stay, so metrics do not change. Erasing twice is a no-op.
 */
export async function eraseCustomer(deps: Deps, externalId: string, actor: Actor) {
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const row = await writeTransaction(deps.db, async (trx) => {
    const found = await findCustomerByExternalId(trx, externalId);
    if (!found) throw new NotFoundError(`No customer has the id ${externalId}`);
    await lockCustomer(trx, found.id, nowIso);
    const current = (await findCustomerByExternalId(trx, externalId))!;
    if (current.erased_at) {
      if (actor.audit) await audit(trx, { actor: actor.audit, action: 'customer.erased', target: customerTarget(current), detail: { already_erased: true } }, now);
      return { ...current, already: true };
    }
    await eraseCustomerData(trx, current, nowIso);
    await insertCustomerAction(trx, { customer_id: current.id, kind: 'erased', at: nowIso, user_id: actor.userId, by: actor.label, detail: '{}' });
    if (actor.audit) await audit(trx, { actor: actor.audit, action: 'customer.erased', target: customerTarget(current) }, now);
    return { ...(await findCustomerByExternalId(trx, externalId))!, already: false };
  });
  return { customer: presentCustomer(row), already_erased: row.already };
}
