import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';

/**
 * The webhook outbox (DESIGN.md: "every step that others care about ─▶ webhook outbox"): a step writes
 * its event here in its own transaction, one message per enabled endpoint that subscribed to the type,
 * so what it reports and the message commit together or not at all. The worker delivers them
 * (webhooks/delivery.ts).
 */

export const webhookEventTypes = [
  'response.created',
  'response.updated',
  'invitation.sent',
  'invitation.failed',
  'customer.unsubscribed',
  'followup.created',
  'followup.closed',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The type of the message that "Send a test event" sends. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** The webhook-id of a message: the same on every attempt, so a receiver can drop repeats. */
const newMessageId = (): string => `msg_${crypto.randomBytes(16).toString('base64url')}`;

/**
 * Writes `type` into the outbox for every enabled endpoint that subscribed to it, in the caller's
 * transaction. `data` is asked for only when some endpoint wants the event (it may read what it needs).
 */
export async function enqueueWebhook(
  trx: Knex,
  type: WebhookEventType,
  at: Date,
  data: () => Promise<Record<string, unknown>> | Record<string, unknown>,
): Promise<void> {
  const endpoints: { id: number; events: string }[] = await trx('webhook_endpoints').where({ kind: 'webhook' }).whereNull('disabled_at').select('id', 'events');
  const wanting = endpoints.filter((e) => (JSON.parse(e.events) as string[]).includes(type));
  if (wanting.length === 0) return;
  await insertMessages(trx, wanting.map((e) => e.id), type, at, await data());
}

/** One message per endpoint, pending and due now. */
export async function insertMessages(trx: Knex, endpointIds: number[], type: string, at: Date, data: Record<string, unknown>): Promise<string[]> {
  const payload = JSON.stringify({ type, timestamp: at.toISOString(), data });
  const rows = endpointIds.map((endpoint_id) => ({
    endpoint_id,
    message_id: newMessageId(),
    type,
    payload,
    state: 'pending',
    attempts: 0,
    next_attempt_at: toDbTime(at),
    created_at: toDbTime(at),
  }));
  if (rows.length) await trx('webhook_messages').insert(rows);
  return rows.map((r) => r.message_id);
}
