import { z } from 'zod';
import { webhookEventTypes } from './outbox.ts';
import { alertScoreRules, chatKinds } from './chat.ts';

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

const alertSchema = z
  .object({
    scores: z
      .enum(alertScoreRules, `must be one of ${alertScoreRules.join(', ')}`)
      .default('detractors')
      .meta({ description: 'Which answers alert: detractors (NPS 0–6, CSAT 1–2, CES 1–3), passives_and_detractors, or any.' }),
    needs_comment: z.boolean('must be true or false').default(true).meta({ description: 'Only answers with a comment alert.' }),
  })
  .meta({ description: 'A chat endpoint’s rule.' });

export const newWebhookSchema = z.object({
  url: urlSchema,
  kind: z
    .enum(['webhook', ...chatKinds], 'must be webhook, slack or teams')
    .default('webhook')
    .meta({ description: 'webhook (signed Standard Webhooks messages of `events`), or slack / teams: a survey’s alerts posted to a Slack incoming webhook or a Microsoft Teams workflow URL, formatted for it.' }),
  events: eventsSchema.optional().meta({ description: 'For a webhook: the event types to send (at least one).' }),
  survey: z.string('must be a survey key').trim().min(1, 'must be a survey key').max(100).optional().meta({ description: 'For slack and teams: the survey whose answers alert.' }),
  alert: alertSchema.optional(),
  description: descriptionSchema.optional(),
});


export const webhookChangeSchema = z.object({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  alert: alertSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean('must be true or false').optional().meta({ description: 'false turns the endpoint off; true turns it on again (and forgets why it was off).' }),
  rotate_secret: z
    .boolean('must be true or false')
    .optional()
    .meta({ description: 'true makes a new secret (answered once, as `secret`); for 24 hours messages carry a signature with the old one too.' }),
});

