import type { Knex } from 'knex';
import { GoneError, NotFoundError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { hashToken } from '../tokens.ts';
import { writeTransaction } from '../db/dialect.ts';
import { enqueueWebhook } from '../webhooks/outbox.ts';
import {
  addTouchpointUnsubscribe,
  clearUnsubscribedFromAll,
  findUnsubscribeTarget,
  removeTouchpointUnsubscribe,
  setUnsubscribedFromAll,
  type UnsubscribeTarget,
} from './unsubscribe-queries.ts';

export type UnsubscribeScope = 'touchpoint' | 'all';

/** Link tokens are base64url; anything else cannot be one. */
const tokenShape = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The customer behind an invitation's unsubscribe link. The link keeps
 * working after the answer link has expired; a wrong token reveals nothing; an erased customer's answers 410.
 */
export async function findUnsubscribeLink(db: Knex, token: string): Promise<UnsubscribeTarget> {
  const target = tokenShape.test(token) ? await findUnsubscribeTarget(db, hashToken(token)) : undefined;
  if (!target) throw new NotFoundError('This link is not valid');
  // Erased means erased: the link changes nothing and stores nothing.
  if (target.erased_at) throw new GoneError('This link no longer works');
  return target;
}

/** Stops survey email: about this touchpoint, or all of it (also the RFC 8058 one-click). */
export async function unsubscribe(db: Knex, token: string, scope: UnsubscribeScope, now: Date): Promise<UnsubscribeTarget> {
  const target = await findUnsubscribeLink(db, token);
  const nowIso = toDbTime(now);
  await writeTransaction(db, async (trx) => {
    const changed = scope === 'all' ? await setUnsubscribedFromAll(trx, target.customer_id, nowIso) : await addTouchpointUnsubscribe(trx, target.customer_id, target.touchpoint_id, nowIso);
    // Webhooks hear of it in the same transaction.
    if (changed) {
      await enqueueWebhook(trx, 'customer.unsubscribed', now, () => ({
        customer: { id: target.external_id, email: target.email },
        scope,
        touchpoint: scope === 'touchpoint' ? target.touchpoint_key : null,
        unsubscribed_at: nowIso,
      }));
    }
  });
  return findUnsubscribeLink(db, token);
}

/** Takes an unsubscribe back; only the holder of the link can. */
export async function undoUnsubscribe(db: Knex, token: string, scope: UnsubscribeScope, now: Date): Promise<UnsubscribeTarget> {
  const target = await findUnsubscribeLink(db, token);
  if (scope === 'all') await clearUnsubscribedFromAll(db, target.customer_id, toDbTime(now));
  else await removeTouchpointUnsubscribe(db, target.customer_id, target.touchpoint_id);
  return findUnsubscribeLink(db, token);
}
