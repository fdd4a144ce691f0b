import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { TEST_EVENT_TYPE, webhookEventTypes } from '../webhooks/outbox.ts';

/**
 * What Touchpoint POSTs to a webhook endpoint, per event type: `{type, timestamp, data}` (server/webhooks/
 * payloads.ts builds `data`). The document lists them under `webhooks`; the webhook tests check every
 * payload they receive against these schemas.
 */

const customer = z.strictObject({ id: z.string().meta({ description: 'Your id for the customer (or the lower-cased email).' }), email: z.string().nullable() }).nullable();
const properties = z.record(z.string(), z.unknown()).meta({ description: 'The properties of the event that led to it.' });

const response = z
  .strictObject({
    id: z.int(),
    survey: z.string().nullable(),
    touchpoint: z.string().nullable(),
    metric: z.enum(['nps', 'csat', 'ces']).nullable(),
    score: z.int(),
    score_group: z.enum(['detractor', 'passive', 'promoter', 'low', 'mid', 'high']).nullable(),
    comment: z.string().nullable(),
    answered_at: z.string(),
    channel: z.string(),
    source: z.string().nullable(),
    customer,
    properties,
    invitation_id: z.int().nullable(),
  })
  .meta({ id: 'WebhookResponse' });

const invitation = {
  invitation_id: z.int(),
  survey: z.string().nullable(),
  touchpoint: z.string().nullable(),
  customer,
  properties,
};

/** The `data` of each type. */
export const webhookData: Record<(typeof webhookEventTypes)[number] | typeof TEST_EVENT_TYPE, z.ZodType> = {
  'response.created': response,
  'response.updated': response,
  'invitation.sent': z.strictObject({ ...invitation, sent_at: z.string(), message_id: z.string().meta({ description: 'The email’s Message-ID.' }) }),
  'invitation.failed': z.strictObject({ ...invitation, failed_at: z.string(), error: z.string() }),
  'customer.unsubscribed': z.strictObject({
    customer,
    scope: z.enum(['all', 'touchpoint']),
    touchpoint: z.string().nullable().meta({ description: 'The touchpoint, when only that one was left.' }),
    unsubscribed_at: z.string(),
  }),
  'followup.created': z.strictObject({ response_id: z.int(), response }),
  'followup.closed': z.strictObject({ response_id: z.int(), closed_at: z.string(), note: z.string() }),
  [TEST_EVENT_TYPE]: z.strictObject({ webhook_id: z.int(), message: z.string() }),
};

/** One message as POSTed. */
export const webhookMessage = (type: keyof typeof webhookData) =>
  z.strictObject({ type: z.literal(type), timestamp: z.string().meta({ description: 'When it happened (ISO 8601, UTC).' }), data: webhookData[type] });

const headers = z.object({
  'webhook-id': z.string().meta({ description: 'The message’s id: the same on every attempt.' }),
  'webhook-timestamp': z.string().meta({ description: 'Seconds since 1970 when this attempt was signed.' }),
  'webhook-signature': z.string().meta({ description: '`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the secret’s bytes; space-separated signatures during a secret rotation.' }),
});

/** The `webhooks` section of the document: one entry per event type. */
export const webhookPayloads: RouteConfig[] = (Object.keys(webhookData) as (keyof typeof webhookData)[]).map((type) => ({
  method: 'post',
  path: type,
  tags: ['webhooks'],
  operationId: `webhook_${type.replace('.', '_')}`,
  summary: `The \`${type}\` message`,
  request: { headers, body: { required: true, content: { 'application/json': { schema: webhookMessage(type) } } } },
  responses: { 200: { description: 'Any 2xx ends the message; anything else, or no answer within 10 s, is tried again later; 410 turns the endpoint off.' } },
}));
