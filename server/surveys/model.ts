import { z } from 'zod';
import { cooldownDaysSchema, quietHoursSchema } from '../settings/service.ts';
import { locales } from '../i18n/index.ts';

export const metrics = ['nps', 'csat', 'ces'] as const;
export type Metric = (typeof metrics)[number];

/** The scale of each metric: NPS 0–10, CSAT 1–5, CES 1–7 (7 = very easy). */
export const scales: Record<Metric, { min: number; max: number }> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
};

/**
 * The score groups of each metric, lowest first: NPS detractor (0–6), passive (7–8), promoter (9–10);
 * CSAT and CES low, mid and high (CSAT 1–2, 3, 4–5; CES 1–3, 4, 5–7). The dashboards group comments by
 * them; the lowest group is what follow-ups, alerts and webhooks call a low score.
 */
export const scoreGroupBounds: Record<Metric, Record<string, { min: number; max: number }>> = {
  nps: { detractor: { min: 0, max: 6 }, passive: { min: 7, max: 8 }, promoter: { min: 9, max: 10 } },
  csat: { low: { min: 1, max: 2 }, mid: { min: 3, max: 3 }, high: { min: 4, max: 5 } },
  ces: { low: { min: 1, max: 3 }, mid: { min: 4, max: 4 }, high: { min: 5, max: 7 } },
};

/** The group a score of `metric` falls in. */
export function scoreGroupOf(metric: Metric, score: number): string {
  const groups = Object.entries(scoreGroupBounds[metric]);
  return (groups.find(([, b]) => score <= b.max) ?? groups[groups.length - 1])[0];
}

/** The highest score of the lowest group (NPS 6, CSAT 2, CES 3). */
export const lowScoreMax = (metric: Metric): number => Object.values(scoreGroupBounds[metric])[0].max;

/** Whether a score is in the lowest group: a detractor's, or CSAT 1–2, CES 1–3. */
export const isLowScore = (metric: Metric, score: number): boolean => score <= lowScoreMax(metric);

/**
 * How a survey reaches the customer (DESIGN.md): by email; in the widget on the company's site (web);
 * in the widget within the survey's web window, else by email (email_or_web); or by its public link only.
 */
export const surveyChannels = ['email', 'web', 'email_or_web', 'link'] as const;
type SurveyChannel = (typeof surveyChannels)[number];

/** Whether the survey's invitations wait for the widget first. */
export const usesWidget = (survey: Pick<Survey, 'channel'>): boolean => survey.channel === 'web' || survey.channel === 'email_or_web';

export const surveyStatuses = ['draft', 'active', 'paused', 'archived'] as const;
type SurveyStatus = (typeof surveyStatuses)[number];

export const keySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$/, 'must be 2–100 lower-case letters, digits and dashes, such as delivery-nps');

/**
 * Words the survey pages use directly under /surveys/ (/surveys/new,
 * /surveys/preview): a survey keyed so could not be opened, so none may be.
 */
const reservedSurveyKeys: readonly string[] = ['new', 'preview'];

/** A survey's key: a key, and not one of the reserved words. */
export const surveyKeySchema = keySchema.refine(
  (key) => !reservedSurveyKeys.includes(key),
  { error: (issue) => `"${String(issue.input)}" is reserved for the survey pages (${reservedSurveyKeys.join(', ')}); choose another key` },
);

// eslint-disable-next-line no-control-regex
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A one-line name kept as given: no control characters (NUL cannot be stored on PostgreSQL), no lone surrogates. */
export const nameSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_OR_LONE_SURROGATE.test(s), 'must not hold control characters');

/**
 * A sample rate in percent, kept to 2 decimals (the column is a 4-byte real,
 * which cannot hold, say, 5e-324). A rate above 0 but below 0.01 % is refused
 * rather than rounded to 0 (which would silently stop the survey).
 */
export const sampleRateSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((x) => x === 0 || x >= 0.01, 'must be 0, or at least 0.01 (percent)')
  .transform((x) => Math.round(x * 100) / 100);

/** The periods a precision target is reached in: ISO week, calendar month or quarter (reporting time zone). */
export const precisionPeriods = ['week', 'month', 'quarter'] as const;

/**
 * The margin a precision target may ask for, per metric: NPS points, CSAT percentage points, CES scale
 * points (the figures' own 95 % margins, ../shared/fixtures/metrics/README.md).
 */
const precisionMargins: Record<Metric, { min: number; max: number; unit: string }> = {
  nps: { min: 1, max: 50, unit: 'NPS points' },
  csat: { min: 1, max: 50, unit: 'percentage points' },
  ces: { min: 0.05, max: 3, unit: 'scale points' },
};

/**
 * A precision target (issue 17), instead of a fixed sample rate: the score's 95 % margin must reach
 * `margin` in every `period`, and, with `segment`, for every value of that event property. The sample
 * rate follows from it daily (server/precision/); the survey's sample_rate stays the most it may ask.
 */
export const precisionTargetSchema = z.object(
  {
    margin: z.number('must be a number such as 5').positive('must be more than 0'),
    period: z.enum(precisionPeriods, 'must be week, month or quarter').default('month'),
    segment: z
      .string('must be an event property name such as region')
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .optional(),
  },
  'must be an object with margin and period (segment optional), or null for none',
);
export type PrecisionTarget = z.infer<typeof precisionTargetSchema>;

/** Why a target's margin does not fit the metric, or null when it does. */
export function precisionMarginProblem(metric: Metric, margin: number): string | null {
  const { min, max, unit } = precisionMargins[metric];
  return margin >= min && margin <= max ? null : `must be from ${min} to ${max} ${unit}`;
}

/** What a customer reads, in one locale. */
export const wordingSchema = z.object({
  question: z.string().trim().min(3, 'must be at least 3 characters').max(300),
  low_label: z.string().trim().max(60).optional(),
  high_label: z.string().trim().max(60).optional(),
  comment_prompt: z.string().trim().max(300).optional(),
  thank_you: z.string().trim().max(300).optional(),
});
export type Wording = z.infer<typeof wordingSchema>;

const days = cooldownDaysSchema.nullable();

/** A survey's own contact rules; a missing (undefined) rule follows the global one. */
export const surveyRulesSchema = z.object({
  cooldown_after_invitation_days: days.optional(),
  cooldown_after_response_days: days.optional(),
  global_cooldown_after_invitation_days: days.optional(),
  global_cooldown_after_response_days: days.optional(),
  quiet_hours: quietHoursSchema.nullable().optional(),
  /** One reminder this many days after the invitation was sent, to those who have not answered; null: none. */
  reminder_after_days: z
    .number('must be a whole number of days from 1 to 60')
    .int('must be a whole number of days from 1 to 60')
    .min(1, 'must be from 1 to 60 days (leave it blank for no reminder)')
    .max(60, 'must be from 1 to 60 days (leave it blank for no reminder)')
    .nullable()
    .optional(),
});
export type SurveyRules = z.infer<typeof surveyRulesSchema>;

export const defaultSurveyRules: SurveyRules = {
  cooldown_after_invitation_days: 90,
  cooldown_after_response_days: 90,
};

export interface Survey {
  id: number;
  key: string;
  touchpoint_id: number;
  touchpoint_key: string;
  touchpoint_name: string;
  metric: Metric;
  status: SurveyStatus;
  default_locale: (typeof locales)[number];
  /** Wording per locale; `default_locale` is always present. */
  content: Record<string, Wording>;
  send_delay_minutes: number;
  sample_rate: number;
  rules: SurveyRules;
  channel: SurveyChannel;
  /** web and email_or_web: how many days a web invitation waits for the customer's page view (then expires, or is emailed). */
  web_window_days: number;
  /** The public web link (/s/:key) takes answers: always for link-only surveys, else when the editor turns it on. */
  public_link: boolean;
  /** Anonymous web-link answers count in the metrics (when false they are shown apart, filtered out by default). */
  count_anonymous: boolean;
  /** Events older than this many days are recorded as too_old, not surveyed; null: any age. */
  max_event_age_days: number | null;
  /** The margin the score must reach per period (and segment); null: the fixed sample rate alone. */
  precision_target: PrecisionTarget | null;
  source: 'ui' | 'api' | 'file';
  source_file: string | null;
  created_at: string;
  updated_at: string;
}

/** Whether the survey's public web link takes answers. */
export const publicLinkOpen = (survey: Pick<Survey, 'channel' | 'public_link' | 'status'>): boolean =>
  survey.status === 'active' && (survey.channel === 'link' || survey.public_link);

/** The oldest event a survey still asks about, by default. */
export const DEFAULT_MAX_EVENT_AGE_DAYS = 7;

/** The wording for a customer's locale, else the survey's default locale. */
export function wordingFor(survey: Pick<Survey, 'content' | 'default_locale'>, locale: string | null | undefined): { locale: string; wording: Wording } {
  if (locale && survey.content[locale]) return { locale, wording: survey.content[locale] };
  return { locale: survey.default_locale, wording: survey.content[survey.default_locale] };
}
