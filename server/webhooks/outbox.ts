import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import { cached, deepFreeze } from '../db/versioned-cache.ts';
import type { AlertScoreRule } from './chat.ts';

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

/** An enabled endpoint as the outbox needs it: what it wants (a webhook's events, a chat's survey and rule). */
export interface Subscriber {
  id: number;
  kind: 'webhook' | 'slack' | 'teams';
  events: string[];
  survey_id: number | null;
  alert: { scores: AlertScoreRule; needsComment: boolean };
}

/**
 * The enabled endpoints, kept in the process (versioned cache 'webhooks': every write to
 * webhook_endpoints through the service bumps it), so that the steps asking "who wants this?" on every
 * answer and send read nothing while nobody changes an endpoint.
 */
export const subscribers = (db: Knex): Promise<readonly Subscriber[]> =>
  cached(db, 'webhooks', async () => {
    const rows: { id: number; kind: Subscriber['kind']; events: string; survey_id: number | null; alert_scores: AlertScoreRule | null; alert_needs_comment: number | null }[] =
      await db('webhook_endpoints').whereNull('disabled_at').select('id', 'kind', 'events', 'survey_id', 'alert_scores', 'alert_needs_comment');
    return deepFreeze(
      rows.map((r) => ({
        id: Number(r.id),
        kind: r.kind,
        events: JSON.parse(r.events) as string[],
        survey_id: r.survey_id === null ? null : Number(r.survey_id),
        alert: { scores: r.alert_scores ?? 'detractors', needsComment: Boolean(r.alert_needs_comment) },
      })),
    );
  });

/**
 * Writes `type` into the outbox for every enabled webhook that subscribed to it, in the caller's
 * transaction. `data` is asked for only when some endpoint wants the event (it may read what it needs).
 */
export async function enqueueWebhook(
  trx: Knex,
  type: WebhookEventType,
  at: Date,
  data: () => Promise<Record<string, unknown>> | Record<string, unknown>,
): Promise<void> {
  const wanting = (await subscribers(trx)).filter((e) => e.kind === 'webhook' && e.events.includes(type));
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
