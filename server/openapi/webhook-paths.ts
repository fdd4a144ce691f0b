import type { RouteConfig, ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errors, json, notFound } from './problem.ts';
import { newWebhookSchema, webhookChangeSchema } from '../webhooks/schemas.ts';
import { TEST_EVENT_TYPE, webhookEventTypes } from '../webhooks/outbox.ts';

/** The calls of /webhooks (server/webhooks/api-routes.ts). */

const body = (schema: z.ZodType): ZodRequestBody => ({ required: true, content: { 'application/json': { schema } } });
const idParams = z.object({ id: z.string().meta({ description: 'The webhook endpoint’s id.' }) });

const webhook = z
  .strictObject({
    id: z.int(),
    kind: z.enum(['webhook', 'slack', 'teams']),
    url: z.string(),
    description: z.string(),
    events: z.array(z.enum(webhookEventTypes)),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().meta({ description: 'Why it is off: turned off, a 410 Gone, or failing for 5 days.' }),
    failing_since: z.string().nullable().meta({ description: 'When its deliveries began to fail, while they do.' }),
    created_at: z.string(),
    updated_at: z.string(),
    survey: z.string().nullable().optional().meta({ description: 'Slack and Teams: the survey whose answers alert.' }),
    alert: z.strictObject({ scores: z.string(), needs_comment: z.boolean() }).optional().meta({ description: 'Slack and Teams: which answers alert.' }),
    secret: z
      .string()
      .optional()
      .meta({ description: 'The signing secret (`whsec_` and base64): answered only when the endpoint is created or its secret rotated. Keep it: it is not shown again.' }),
  })
  .meta({ id: 'Webhook' });

const message = z.strictObject({
  id: z.int(),
  message_id: z.string().meta({ description: 'The `webhook-id` header: the same on every attempt.' }),
  type: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  next_attempt_at: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  tries: z.array(
    z.strictObject({
      at: z.string(),
      status: z.int().nullable().meta({ description: 'The HTTP status; null when no answer came (refused address, timeout, connection error).' }),
      duration_ms: z.int(),
      response: z.string().nullable().meta({ description: 'The first 500 characters of the answer.' }),
      error: z.string().nullable(),
    }),
  ),
});

const signing =
  'Each message is a POST of `{"type", "timestamp", "data"}` signed the Standard Webhooks way: headers `webhook-id` (the same on every retry), ' +
  '`webhook-timestamp` (seconds) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` with the secret; during a rotation, a second signature with the old one). ' +
  'A 2xx ends it; anything else or no answer within 10 s is retried after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then it fails; a 410 turns the endpoint off.';

export const webhookPaths: RouteConfig[] = [
  {
    method: 'post',
    path: '/webhooks',
    tags: ['webhooks'],
    operationId: 'createWebhook',
    summary: 'Subscribe an endpoint to events',
    description: `${signing} Event types: ${webhookEventTypes.join(', ')}.`,
    request: { body: body(newWebhookSchema) },
    responses: { 201: json('The endpoint, with its secret (shown once).', webhook), ...errors },
  },
  {
    method: 'get',
    path: '/webhooks',
    tags: ['webhooks'],
    operationId: 'listWebhooks',
    summary: 'Every endpoint (without secrets)',
    responses: { 200: json('The endpoints.', z.strictObject({ webhooks: z.array(webhook) })), ...errors },
  },
  {
    method: 'get',
    path: '/webhooks/{id}',
    tags: ['webhooks'],
    operationId: 'getWebhook',
    summary: 'One endpoint',
    request: { params: idParams },
    responses: { 200: json('The endpoint.', webhook), ...errors, ...notFound },
  },
  {
    method: 'patch',
    path: '/webhooks/{id}',
    tags: ['webhooks'],
    operationId: 'updateWebhook',
    summary: 'Change an endpoint, turn it off or on, or rotate its secret',
    request: { params: idParams, body: body(webhookChangeSchema) },
    responses: { 200: json('The endpoint (with `secret` when it was rotated).', webhook), ...errors, ...notFound },
  },
  {
    method: 'delete',
    path: '/webhooks/{id}',
    tags: ['webhooks'],
    operationId: 'deleteWebhook',
    summary: 'Remove an endpoint and its messages',
    request: { params: idParams },
    responses: { 204: { description: 'Removed.' }, ...errors, ...notFound },
  },
  {
    method: 'post',
    path: '/webhooks/{id}/test',
    tags: ['webhooks'],
    operationId: 'testWebhook',
    summary: `Send the endpoint a \`${TEST_EVENT_TYPE}\` event`,
    request: { params: idParams },
    responses: { 202: json('Queued: the worker sends it within seconds.', z.strictObject({ message_id: z.string() })), ...errors, ...notFound },
  },
  {
    method: 'get',
    path: '/webhooks/{id}/messages',
    tags: ['webhooks'],
    operationId: 'listWebhookMessages',
    summary: 'The endpoint’s newest 50 messages, each with its attempts',
    request: { params: idParams },
    responses: { 200: json('The messages.', z.strictObject({ messages: z.array(message) })), ...errors, ...notFound },
  },
  {
    method: 'post',
    path: '/webhooks/{id}/messages/{message}/resend',
    tags: ['webhooks'],
    operationId: 'resendWebhookMessage',
    summary: 'Send a message again (same webhook-id)',
    request: { params: idParams.extend({ message: z.string().meta({ description: 'The message’s id (not its webhook-id).' }) }) },
    responses: { 202: json('Queued again.', z.strictObject({ resent: z.literal(true) })), ...errors, ...notFound },
  },
];
