import { z } from 'zod';
import { quietHoursSchema } from '../settings/service.ts';
import { locales } from '../i18n/index.ts';

export const metrics = ['nps', 'csat', 'ces'] as const;
export type Metric = (typeof metrics)[number];

/** The scale of each metric: NPS 0–10, CSAT 1–5, CES 1–7 (7 = very easy). */
export const scales: Record<Metric, { min: number; max: number }> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
};

export const surveyStatuses = ['draft', 'active', 'paused', 'archived'] as const;
export type SurveyStatus = (typeof surveyStatuses)[number];

export const keySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$/, 'must be 2–100 lower-case letters, digits and dashes, such as delivery-nps');

/** What a customer reads, in one locale. */
export const wordingSchema = z.object({
  question: z.string().trim().min(3, 'must be at least 3 characters').max(300),
  low_label: z.string().trim().max(60).optional(),
  high_label: z.string().trim().max(60).optional(),
  comment_prompt: z.string().trim().max(300).optional(),
  thank_you: z.string().trim().max(300).optional(),
});
export type Wording = z.infer<typeof wordingSchema>;

const days = z.number().int().min(0).max(3650).nullable();

/** A survey's own contact rules; a missing (undefined) rule follows the global one. */
export const surveyRulesSchema = z.object({
  cooldown_after_invitation_days: days.optional(),
  cooldown_after_response_days: days.optional(),
  global_cooldown_after_invitation_days: days.optional(),
  global_cooldown_after_response_days: days.optional(),
  quiet_hours: quietHoursSchema.nullable().optional(),
  reminder_after_days: z.number().int().min(1).max(60).nullable().optional(),
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
  channel: 'email' | 'link';
  source: 'ui' | 'api' | 'file';
  source_file: string | null;
  created_at: string;
  updated_at: string;
}

/** The wording for a customer's locale, else the survey's default locale. */
export function wordingFor(survey: Pick<Survey, 'content' | 'default_locale'>, locale: string | null | undefined): { locale: string; wording: Wording } {
  if (locale && survey.content[locale]) return { locale, wording: survey.content[locale] };
  return { locale: survey.default_locale, wording: survey.content[survey.default_locale] };
}
