import { z } from 'zod';
import { locales } from '../i18n/index.ts';
import { quietHoursSchema } from '../settings/service.ts';
import { surveyPatchSchema } from '../surveys/schemas.ts';
import { keySchema, metrics, type Survey } from '../surveys/model.ts';
import type { presentSurvey } from '../surveys/present.ts';
import type { BatchResult } from '../events/batch.ts';
import type { EventAnswer } from '../events/store.ts';
import { suppressionReasons, reasonTexts } from '../eligibility/reasons.ts';
import type { ListedResponse } from '../metrics/response-list.ts';
import type { NewResponse } from '../responses/store.ts';
import type { presentCustomer } from '../customers/timeline.ts';
import type { exportCustomer } from '../customers/export.ts';
import type { CustomerActionRow } from '../customers/queries.ts';
import { fieldErrors } from './problem.ts';
import { metricScales, surveyRules } from './request-schemas.ts';
import { everyValueOf, instant } from './schema-kit.ts';

/**
 * What the API answers, as zod schemas (documented, never parsed with). Each object lists exactly the
 * fields its route answers: `satisfies Record<keyof …>` makes tsc hold the keys to the route's own type,
 * and test/integration/openapi.test.ts validates real answers against the document.
 */

type Shape<T> = Record<keyof T, z.ZodType>;

const patch = surveyPatchSchema.shape;
const wording = z.record(z.string(), z.string()).meta({ description: 'Per locale, the locales the survey has.' });

const surveyShape = {
  key: keySchema,
  touchpoint: keySchema,
  touchpoint_name: z.string(),
  metric: z.enum(metrics).meta({ description: metricScales }),
  status: patch.status.unwrap(),
  default_locale: z.enum(locales),
  question: wording,
  low_label: wording,
  high_label: wording,
  comment_prompt: wording,
  thank_you: wording,
  channel: patch.channel.unwrap(),
  web_window_days: patch.web_window_days.unwrap(),
  public_link: z.boolean(),
  count_anonymous: z.boolean(),
  max_event_age_days: patch.max_event_age_days.unwrap(),
  send_delay_minutes: patch.send_delay_minutes.unwrap(),
  sample_rate: patch.sample_rate.unwrap(),
  precision_target: patch.precision_target.unwrap(),
  quiet_hours: quietHoursSchema.nullable(),
  rules: surveyRules,
  source: z.enum(everyValueOf<Survey['source']>()(['ui', 'api', 'file'])),
  source_file: z.string().optional().meta({ description: 'A survey managed by a file changes only in its file.' }),
  created_at: instant,
  updated_at: instant,
  links: z.strictObject({
    web: z.url().nullable().meta({ description: 'The public web link of the survey; null while it takes no answers.' }),
  }),
} satisfies Shape<ReturnType<typeof presentSurvey>>;

export const survey = z.strictObject(surveyShape).meta({ id: 'Survey' });

export const surveyList = z.strictObject({ surveys: z.array(survey) });

const reasonList = suppressionReasons.map((r) => `\`${r}\`: ${reasonTexts[r]}`).join('; ');
const eventStatus = z.enum(everyValueOf<EventAnswer['status']>()(['scheduled', 'suppressed']));

const eventAnswerShape = {
  id: z.int(),
  status: eventStatus,
  reason: z.enum(suppressionReasons).optional().meta({ description: `Why no survey (the first rule that failed). ${reasonList}.` }),
  detail: z.string().optional().meta({ description: 'The numbers behind the reason; for a scheduled event, notes such as a move out of quiet hours.' }),
  send_at: instant.optional().meta({ description: 'When the invitation goes out (quiet hours move it).' }),
  invitation_id: z.int().optional(),
} satisfies Shape<EventAnswer>;

export const eventAnswer = z.strictObject(eventAnswerShape).meta({ id: 'EventAnswer' });

type Refused = Extract<BatchResult, { errors: unknown }>;
const batchResult = z
  .union([
    z.strictObject({
      index: z.int(),
      ...eventAnswerShape,
      duplicate: z.literal(true).optional().meta({ description: 'The event had been received before: its first answer.' }),
    }),
    z.strictObject({
      index: z.int(),
      status: z.enum(everyValueOf<Refused['status']>()(['invalid', 'error'])).meta({ description: 'invalid: the event was refused (`errors` says why); error: it could not be stored, send it again.' }),
      errors: fieldErrors,
    } satisfies Shape<Refused>),
  ])
  .meta({ id: 'BatchResult', description: 'The answer to one event of the batch, `index` its place in the list.' });

export const batchAnswer = z.strictObject({ results: z.array(batchResult) });

const responseShape = {
  id: z.int(),
  survey: z.string(),
  score: z.int(),
  comment: z.string().nullable(),
  channel: z
    .enum(everyValueOf<NewResponse['channel']>()(['email', 'link', 'web', 'import']))
    .meta({ description: "email: the invitation's links; link: the public web link; web: the widget; import." }),
  source: z
    .enum(everyValueOf<NonNullable<NewResponse['source']>>()(['invitation', 'signed', 'anonymous', 'import']))
    .meta({ description: "invitation; signed: a signed web link (the customer's); anonymous: the public web link; import." }),
  locale: z.string().nullable(),
  answered_at: instant,
  properties: z.record(z.string(), z.unknown()).meta({ description: "A copy of the event's properties (a signed web link's own)." }),
} satisfies Shape<ListedResponse>;

export const responsePage = z
  .strictObject({
    responses: z.array(z.strictObject(responseShape).meta({ id: 'Response' })),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null at the end.' }),
  })
  .meta({ id: 'ResponsePage' });

const customerShape = {
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  locale: z.string().nullable(),
  time_zone: z.string().nullable(),
  unsubscribed_at: instant.nullable(),
  bounced_at: instant.nullable(),
  erased_at: instant.nullable(),
  created_at: instant,
} satisfies Shape<ReturnType<typeof presentCustomer>>;

export const customerRecord = z.strictObject(customerShape).meta({ id: 'CustomerRecord' });

export const timeline = z
  .strictObject({
    customer: customerRecord,
    timeline: z
      .array(
        z.looseObject({
          kind: z.string().meta({ description: 'event, invitation, sent (emailed, or shown by the widget: channel web), dismissed (the widget closed unanswered), response, unsubscribe, bounce, bounce_cleared or erased; each kind has its own fields.' }),
          at: instant,
          decision: eventStatus.optional().meta({ description: 'An event: whether it was surveyed.' }),
          reason: z.string().nullable().optional().meta({ description: 'An event or invitation: why no survey; a bounce: what the mail server answered.' }),
        }),
      )
      .meta({ description: 'In time order: every event with its decision, invitation, send, response, unsubscribe, bounce and erasure.' }),
  })
  .meta({ id: 'Timeline' });

export const customerErasure = z
  .strictObject({
    customer: customerRecord,
    already_erased: z.boolean().meta({ description: 'True when the customer had been erased before; nothing changed.' }),
  })
  .meta({ id: 'CustomerErasure' });

const rows = (description: string) => z.array(z.record(z.string(), z.unknown())).meta({ description });

const exportShape = {
  exported_at: instant,
  customer: z.strictObject({
    ...customerShape,
    properties: z.record(z.string(), z.unknown()),
    bounce_reason: z.string().nullable(),
    updated_at: instant,
  }),
  events: rows('Every event with its touchpoint, survey, properties and decision.'),
  invitations: rows('Every invitation with its state, times, attempts and reminder.'),
  responses: rows('Every answer: survey, metric, score, comment, properties, times.'),
  unsubscribes: z.array(
    z.strictObject({
      scope: z.string().meta({ description: 'all: every survey; touchpoint: the surveys of one touchpoint.' }),
      touchpoint: z.string().nullable(),
      at: instant,
    }),
  ),
  link_clicks: rows('Opens of the score links in the invitations (kind, score, time, user agent).'),
  actions: z
    .array(
      z.strictObject({
        kind: z.enum(everyValueOf<CustomerActionRow['kind']>()(['bounce_cleared', 'erased'])),
        at: instant,
        by: z.string(),
        detail: z.record(z.string(), z.unknown()),
      }),
    )
    .meta({ description: 'What people did to the record: a hard bounce cleared by an editor, the erasure.' }),
} satisfies Shape<Awaited<ReturnType<typeof exportCustomer>>>;

export const customerExport = z
  .strictObject(exportShape)
  .meta({ id: 'CustomerExport', description: 'Everything stored about one customer. Rows are as stored (JSON columns parsed); link token salts and hashes are left out.' });
