import { z } from 'zod';
import { locales } from '../i18n/index.ts';
import { quietHoursSchema } from '../settings/service.ts';
import { DEFAULT_MAX_EVENT_AGE_DAYS, precisionTargetSchema, keySchema, surveyChannels, metrics, nameSchema, sampleRateSchema, surveyKeySchema, surveyRulesSchema, surveyStatuses } from './model.ts';

/** The survey as integrators, files and the editor give it: one schema, with every limit. */

const localeSchema = z.enum(locales, `must be one of ${locales.join(', ')}`);
/** A text given once for every locale, or per locale. */
const perLocale = z.union(
  [z.string(), z.partialRecord(localeSchema, z.string())],
  `must be a text, or texts per locale (${locales.join(', ')}) such as {"en": "…", "de": "…"}`,
);

const surveyFields = {
  key: surveyKeySchema,
  touchpoint: keySchema,
  touchpoint_name: nameSchema(200).optional(),
  metric: z.enum(metrics, 'must be nps, csat or ces'),
  question: perLocale.optional(),
  low_label: perLocale.optional(),
  high_label: perLocale.optional(),
  comment_prompt: perLocale.optional(),
  thank_you: perLocale.optional(),
  default_locale: localeSchema,
  status: z.enum(surveyStatuses, 'must be draft, active, paused or archived'),
  channel: z.enum(surveyChannels, 'must be email, web, email_or_web or link'),
  web_window_days: z
    .number('must be a whole number of days from 1 to 30')
    .int('must be a whole number of days from 1 to 30')
    .min(1, 'must be from 1 to 30 days')
    .max(30, 'must be from 1 to 30 days'),
  public_link: z.boolean('must be true or false'),
  count_anonymous: z.boolean('must be true or false'),
  max_event_age_days: z
    .number('must be a whole number of days from 1 to 3650, or null for any age')
    .int('must be a whole number of days from 1 to 3650, or null for any age')
    .min(1, 'must be from 1 to 3650 days, or null for any age')
    .max(3650, 'must be from 1 to 3650 days, or null for any age')
    .nullable(),
  send_delay_minutes: z.number().int().min(0).max(60 * 24 * 30),
  sample_rate: sampleRateSchema,
  precision_target: precisionTargetSchema.nullable(),
  quiet_hours: quietHoursSchema.nullable().optional(),
  rules: surveyRulesSchema.optional(),
};

/** The survey as integrators and files describe it (DESIGN.md, POST /api/v1/surveys). */
export const surveyInputSchema = z.object({
  ...surveyFields,
  default_locale: surveyFields.default_locale.default('en'),
  status: surveyFields.status.default('draft'),
  channel: surveyFields.channel.default('email'),
  web_window_days: surveyFields.web_window_days.default(2),
  public_link: surveyFields.public_link.default(false),
  count_anonymous: surveyFields.count_anonymous.default(true),
  max_event_age_days: surveyFields.max_event_age_days.default(DEFAULT_MAX_EVENT_AGE_DAYS),
  send_delay_minutes: surveyFields.send_delay_minutes.default(0),
  sample_rate: surveyFields.sample_rate.default(100),
  precision_target: surveyFields.precision_target.default(null),
});
export type SurveyInput = z.input<typeof surveyInputSchema>;

/** A change: only what is given changes (no defaults here, or a patch would reset them). */
export const surveyPatchSchema = z.object(surveyFields).omit({ key: true, touchpoint: true, metric: true }).partial();
export type SurveyPatch = z.input<typeof surveyPatchSchema>;

/** A parsed survey input, defaults applied. */
export type ParsedSurveyInput = z.infer<typeof surveyInputSchema>;
