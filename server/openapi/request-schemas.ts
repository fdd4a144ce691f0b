import { z } from 'zod';
import { INSTANT_RANGE_MESSAGE, DATE_RANGE_MESSAGE } from '../dates.ts';
import { surveyInputSchema, surveyPatchSchema } from '../surveys/schemas.ts';
import { keySchema, metrics, scales, surveyRulesSchema, surveyStatuses } from '../surveys/model.ts';
import { batchSchema, eventSchema } from '../events/input.ts';
import { metricsQuerySchema } from '../metrics/api-routes.ts';
import { responsesQuerySchema } from '../metrics/responses-api-routes.ts';
import { asProse, describeFields } from './schema-kit.ts';

/** What the API takes: the very schemas the routes parse with, described for people. */

const days = 'Days; null turns the rule off.';
/** A survey's own contact rules, described; the survey answers them as it takes them. */
export const surveyRules = describeFields(surveyRulesSchema, {
  cooldown_after_invitation_days: days,
  cooldown_after_response_days: days,
  global_cooldown_after_invitation_days: days,
  global_cooldown_after_response_days: days,
  reminder_after_days: 'One reminder this many days after the invitation was sent, to those who have not answered; null: none.',
}).meta({ description: "The survey's own contact rules; an absent rule follows the global one (where the settings let a survey override it)." });
const rules = surveyRules.optional();

const perLocale = 'One text for every locale, or texts per locale.';
/** Texts of the fields a survey's creation and its changes share. */
const writable = {
  question: perLocale,
  low_label: perLocale,
  high_label: perLocale,
  comment_prompt: perLocale,
  thank_you: perLocale,
  channel: 'How the survey reaches the customer: `email`; `web`, shown by the widget on the company\'s site; `email_or_web`, the widget within the web window, else email; `link`, its public link only.',
  web_window_days: 'For `web` and `email_or_web`: how many days an invitation waits for the customer\'s next page view before it expires (`web`) or is emailed (`email_or_web`).',
  public_link: 'Whether the public web link /s/KEY takes answers. Always on for channel `link`; off by default for email surveys.',
  count_anonymous: 'Whether anonymous web-link answers count in the metrics by default (`source` on the metrics call picks one source either way).',
  max_event_age_days: 'Events older than this are recorded as suppressed `too_old`; null: any age.',
  sample_rate: 'Percent of eligible events surveyed, decided by a hash of the transaction id. Kept to 2 decimals; a value above 0 and below 0.01 is refused. With a precision target, the most the target may ask.',
  precision_target:
    'Instead of a fixed rate: the 95 % margin the score must reach per `period` (week, month or quarter, in the reporting time zone), and with `segment` for every value of that event property: `margin` in NPS points (1–50), CSAT percentage points (1–50) or CES scale points (0.05–3). The sample rate in force follows daily from the last weeks\' volume, response rate and score spread, never above `sample_rate`; an event sampled out says so (`sampled_out`, naming the target). null: none.',
};

/** "nps 0–10, csat 1–5, ces 1–7." */
export const metricScales = `${metrics.map((m) => `${m} ${scales[m].min}–${scales[m].max}`).join(', ')}.`;

export const surveyInput = describeFields(surveyInputSchema, {
  ...writable,
  key: { examples: ['delivery-nps'] },
  touchpoint: { description: 'The touchpoint key; created when new.', examples: ['delivery'] },
  metric: metricScales,
})
  .safeExtend({ rules })
  .meta({ id: 'SurveyInput' });

export const surveyPatch = describeFields(surveyPatchSchema, writable)
  .safeExtend({ rules })
  .meta({ id: 'SurveyPatch', description: 'Only the given fields change. key, touchpoint and metric cannot change.' });

/** GET /surveys: the route filters on these as given (no match: an empty list). */
export const surveyListQuery = z.object({
  touchpoint: z.string().optional().meta({ description: 'Only this touchpoint.' }),
  status: z.enum(surveyStatuses).optional().meta({ description: 'Only this status.' }),
});

export const surveyKeyParams = z.object({ key: keySchema.meta({ examples: ['delivery-nps'] }) });

/** An event's properties: the record inside the schema's "absent, null or empty" wrapper and its __proto__ guard. */
const eventProperties = eventSchema.shape.properties.out.unwrap().out;

const customer = describeFields(eventSchema.shape.customer, {
  id: 'Your id for the customer.',
  locale: { examples: ['de-AT'] },
  time_zone: { description: 'For quiet hours; else the reporting time zone.', examples: ['Europe/Vienna'] },
}).meta({ id: 'Customer', description: 'Give `id` (your id for the customer) or `email`, or both. Absent, null and "" all mean not given.' });

export const event = describeFields(eventSchema, {
  touchpoint: { examples: ['delivery'] },
  transaction_id: 'Events are idempotent on (touchpoint, transaction_id).',
  occurred_at: `Default: when received. Given: ${asProse(INSTANT_RANGE_MESSAGE)}, and at most a year ahead. An event older than the survey's maximum event age is recorded as suppressed too_old.`,
})
  .extend({
    customer,
    properties: eventProperties.nullable().optional().meta({ description: 'Segments for the dashboards: region, agent, product, plan …' }),
  })
  .meta({ id: 'Event' });

/** The batch: its own limit on the list, each entry an Event (the route checks each one on its own). */
const batchChecks = (batchSchema.shape.events._zod.def.checks ?? []) as unknown as z.core.$ZodCheck<z.output<typeof event>[]>[];
export const eventBatch = batchSchema.extend({ events: z.array(event).check(...batchChecks) });

const periodEnd = `a date (YYYY-MM-DD) ${asProse(DATE_RANGE_MESSAGE).replace(/^a date /, '')}, or ${asProse(INSTANT_RANGE_MESSAGE)}; anything else is a 422 naming the parameter.`;
const from = `First local date (inclusive) or ISO instant: ${periodEnd}`;
const to = `Last local date or ISO instant, both inclusive: ${periodEnd}`;

export const metricsQuery = describeFields(metricsQuerySchema, {
  survey: 'The survey key.',
  from,
  to,
  interval: 'Bucket size.',
  tz: { description: 'IANA time zone for buckets; default the reporting time zone.', examples: ['Europe/Berlin'] },
  segment: 'A property name to split by (region, agent …).',
  where: {
    description:
      'name:value, repeatable: only answers (and invitations, events) whose event property matches. Values of one property are alternatives; different properties must all match.',
    examples: [['region:north']],
    param: { style: 'form', explode: true },
  },
  source:
    'Which answers count: all, identified (invitations, signed links, imports) or anonymous (the public web link). Default: all, or identified where the survey leaves anonymous answers out.',
  split: 'channel: also the figures per channel the answers came by (`channels`).',
  weight_by: {
    description:
      'One to three event property names, comma-separated: `overall.weighted` (and `weighted` in each bucket) gives the score reweighted for non-response by the cells of those properties\' values, beside the raw figures, which stay as they are. Absent or blank: not reweighted.',
    examples: ['region', 'region,plan'],
  },
  channel:
    'Only answers given by this channel: email (the email links), web (the widget on your site), link (the web link) or import; the response rate then counts only that channel\'s invitations (web: those the widget showed). Default: every channel.',
});

export const responsesQuery = describeFields(responsesQuerySchema, {
  survey: 'Only this survey.',
  from,
  to,
  tz: 'Time zone of `from`/`to` dates; default the reporting time zone.',
  cursor: 'The `next_cursor` of the previous page.',
  source: 'Only answers of this source: all (default), identified or anonymous.',
  limit: 'Page size; a value outside the range is a 422 naming limit.',
});
