import { z } from 'zod';
import { webhookEventTypes } from './outbox.ts';

/** The bodies of POST and PATCH /api/v1/webhooks (the OpenAPI document is generated from them). */

const eventsSchema = z
  .array(z.enum(webhookEventTypes, `must be one of ${webhookEventTypes.join(', ')}`), 'must be a list of event types')
  .min(1, 'must name at least one event type')
  .max(webhookEventTypes.length, `must name at most ${webhookEventTypes.length} event types`)
  .meta({ description: `The event types to send: ${webhookEventTypes.join(', ')}.` });

const urlSchema = z
  .string('must be a URL')
  .trim()
  .min(1, 'must be a URL')
  .max(2000, 'must be at most 2000 characters')
  .meta({ description: 'Where to POST: https:// and a public address (http:// and private addresses only with WEBHOOK_ALLOW_PRIVATE=true).' });

const descriptionSchema = z.string('must be text').trim().max(500, 'must be at most 500 characters');

export const newWebhookSchema = z.object({
  url: urlSchema,
  events: eventsSchema,
  description: descriptionSchema.optional(),
});


export const webhookChangeSchema = z.object({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean('must be true or false').optional().meta({ description: 'false turns the endpoint off; true turns it on again (and forgets why it was off).' }),
  rotate_secret: z
    .boolean('must be true or false')
    .optional()
    .meta({ description: 'true makes a new secret (answered once, as `secret`); for 24 hours messages carry a signature with the old one too.' }),
});

