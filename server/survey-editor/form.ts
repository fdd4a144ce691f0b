import { ValidationError } from '../errors.ts';
import { formNumber, formText, parseFormFields } from '../http/forms.ts';
import { locales, t, type Locale } from '../i18n/index.ts';
import { defaultSurveyRules, precisionTargetSchema, surveyRulesSchema, type Metric, type PrecisionTarget, type Survey, type Wording } from '../surveys/model.ts';
import { z } from 'zod';
import { surveyInputSchema, type SurveyInput, type SurveyPatch } from '../surveys/schemas.ts';
import { templates } from '../surveys/templates.ts';

/** The survey form's fields, flat and as typed (all strings). */
export type SurveyForm = Record<string, string>;

export const wordingFields = ['question', 'low_label', 'high_label', 'comment_prompt', 'thank_you'] as const;
const plainFields = [
  'touchpoint',
  'touchpoint_name',
  'key',
  'metric',
  'status',
  'default_locale',
  'send_delay_minutes',
  'sample_rate',
  'channel',
  'web_window_days',
  'public_link',
  'count_anonymous',
  'max_event_age_days',
  'reminder_after_days',
  'cooldown_after_invitation_days',
  'cooldown_after_response_days',
  'quiet_hours_mode',
  'quiet_hours_start',
  'quiet_hours_end',
  'precision_margin',
  'precision_period',
  'precision_segment',
] as const;
const allFields = [...plainFields, ...locales.flatMap((l) => wordingFields.map((f) => `${f}_${l}`))];

const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

const inputFields = surveyInputSchema.shape;
const ruleFields = surveyRulesSchema.shape;
/** The form's numbers, each kept to its field of the survey schema (blank: none, where a field may be blank). */
const numberFields = {
  send_delay_minutes: formNumber(inputFields.send_delay_minutes),
  sample_rate: formNumber(inputFields.sample_rate, { decimal: true }),
  max_event_age_days: formNumber(inputFields.max_event_age_days, { optional: true }),
  web_window_days: formNumber(inputFields.web_window_days, { optional: true }),
  reminder_after_days: formNumber(ruleFields.reminder_after_days, { optional: true }),
  cooldown_after_invitation_days: formNumber(ruleFields.cooldown_after_invitation_days, { optional: true }),
  cooldown_after_response_days: formNumber(ruleFields.cooldown_after_response_days, { optional: true }),
  // Blank: no precision target.
  precision_margin: formNumber(precisionTargetSchema.shape.margin, { decimal: true, optional: true }),
};
/** A default of the survey schema, as the form shows it. */
const schemaDefault = (field: 'send_delay_minutes' | 'sample_rate' | 'max_event_age_days' | 'web_window_days') => n(inputFields[field].parse(undefined));

function wordingValues(content: Record<string, Wording | undefined>): SurveyForm {
  const values: SurveyForm = {};
  for (const locale of locales) for (const f of wordingFields) values[`${f}_${locale}`] = content[locale]?.[f] ?? '';
  return values;
}

/** A precision target as the form shows it (none: a blank margin, per month). */
const targetValues = (target: PrecisionTarget | null): SurveyForm => ({
  precision_margin: n(target?.margin),
  precision_period: target?.period ?? 'month',
  precision_segment: target?.segment ?? '',
});

/** A new survey's form: the metric's template wording, the usual defaults. */
export function formFromTemplate(metric: Metric): SurveyForm {
  return {
    touchpoint: '',
    touchpoint_name: '',
    key: '',
    metric,
    status: 'draft',
    default_locale: 'en',
    send_delay_minutes: schemaDefault('send_delay_minutes'),
    sample_rate: schemaDefault('sample_rate'),
    channel: 'email',
    web_window_days: schemaDefault('web_window_days'),
    public_link: 'off',
    count_anonymous: 'on',
    max_event_age_days: schemaDefault('max_event_age_days'),
    reminder_after_days: '',
    cooldown_after_invitation_days: n(defaultSurveyRules.cooldown_after_invitation_days),
    cooldown_after_response_days: n(defaultSurveyRules.cooldown_after_response_days),
    quiet_hours_mode: 'global',
    quiet_hours_start: '',
    quiet_hours_end: '',
    ...targetValues(null),
    ...wordingValues(templates[metric]),
  };
}

export function formFromSurvey(survey: Survey): SurveyForm {
  const quiet = survey.rules.quiet_hours;
  return {
    touchpoint: survey.touchpoint_key,
    touchpoint_name: survey.touchpoint_name,
    key: survey.key,
    metric: survey.metric,
    status: survey.status,
    default_locale: survey.default_locale,
    send_delay_minutes: String(survey.send_delay_minutes),
    sample_rate: String(survey.sample_rate),
    channel: survey.channel,
    web_window_days: String(survey.web_window_days),
    public_link: survey.public_link ? 'on' : 'off',
    count_anonymous: survey.count_anonymous ? 'on' : 'off',
    max_event_age_days: n(survey.max_event_age_days),
    reminder_after_days: n(survey.rules.reminder_after_days),
    cooldown_after_invitation_days: n(survey.rules.cooldown_after_invitation_days),
    cooldown_after_response_days: n(survey.rules.cooldown_after_response_days),
    quiet_hours_mode: quiet === undefined ? 'global' : quiet === null ? 'off' : 'own',
    quiet_hours_start: quiet?.start ?? '',
    quiet_hours_end: quiet?.end ?? '',
    ...targetValues(survey.precision_target),
    ...wordingValues(survey.content),
  };
}

/** The submitted fields as typed, to show again beside their errors. */
export function readSurveyForm(raw: unknown): SurveyForm {
  const form: SurveyForm = {};
  for (const name of allFields) form[name] = formText(raw, name);
  return form;
}

/** The form field that shows a service field's error: question.de → question_de. */
export function formFieldOf(field: string, defaultLocale = 'en'): string {
  const parts = field.split('.');
  if (parts[0] === 'rules') parts.shift();
  const [head, tail] = parts;
  if ((wordingFields as readonly string[]).includes(head)) return `${head}_${tail ?? defaultLocale}`;
  if (head === 'quiet_hours') return tail ? `quiet_hours_${tail}` : 'quiet_hours_mode';
  if (head === 'precision_target') return `precision_${tail ?? 'margin'}`;
  return head ?? field;
}

/** The rules the form does not show stay as they were; the ones it shows are what it says. */
export function rulesKeptFromSurvey(rules: Survey['rules']): Survey['rules'] {
  const { cooldown_after_invitation_days: _a, cooldown_after_response_days: _b, quiet_hours: _q, reminder_after_days: _r, ...kept } = rules;
  return kept;
}

/**
 * The survey the form asks for, as the service takes it. The numbers are
 * parsed here (the form sends text) by the survey schema's own fields;
 * everything else is checked by the service, so the API, files and the form
 * share one set of rules. `locale`: the language of the form's own messages.
 */
export function inputFromForm(form: SurveyForm, schema: z.ZodType = surveyInputSchema, locale: Locale = 'en'): SurveyInput & SurveyPatch {
  const { values: numbers, errors } = parseFormFields(form, numberFields);
  const perLocale = (field: string, keepEmpty: boolean) => {
    const values: Record<string, string> = {};
    for (const locale of locales) {
      const value = form[`${field}_${locale}`];
      if (value !== '' || keepEmpty) values[locale] = value;
    }
    return values;
  };
  const quietMode = form.quiet_hours_mode;
  const input = {
    key: form.key,
    touchpoint: form.touchpoint,
    ...(form.touchpoint_name ? { touchpoint_name: form.touchpoint_name } : {}),
    metric: form.metric as Metric,
    status: form.status as Survey['status'],
    default_locale: form.default_locale as Survey['default_locale'],
    // A blank question removes that language.
    question: perLocale('question', true),
    low_label: perLocale('low_label', false),
    high_label: perLocale('high_label', false),
    comment_prompt: perLocale('comment_prompt', false),
    thank_you: perLocale('thank_you', false),
    send_delay_minutes: numbers.send_delay_minutes,
    sample_rate: numbers.sample_rate,
    // Absent (an older form): the survey's channel stays, a new one is emailed.
    ...(form.channel ? { channel: form.channel as Survey['channel'] } : {}),
    // Blank or absent: as it was (on a new survey, the default).
    ...(numbers.web_window_days !== undefined ? { web_window_days: numbers.web_window_days } : {}),
    // Absent (an older form): as they were; on a new survey, the defaults.
    ...(form.public_link ? { public_link: form.public_link === 'on' } : {}),
    ...(form.count_anonymous ? { count_anonymous: form.count_anonymous === 'on' } : {}),
    // Blank: any age.
    max_event_age_days: numbers.max_event_age_days ?? null,
    // A blank margin: no target (the sample rate alone).
    precision_target:
      numbers.precision_margin === undefined
        ? null
        : { margin: numbers.precision_margin, period: (form.precision_period || 'month') as PrecisionTarget['period'], ...(form.precision_segment ? { segment: form.precision_segment } : {}) },
    rules: {
      // Blank: no reminder.
      reminder_after_days: numbers.reminder_after_days ?? null,
      cooldown_after_invitation_days: numbers.cooldown_after_invitation_days ?? null,
      cooldown_after_response_days: numbers.cooldown_after_response_days ?? null,
      // Absent: the global quiet hours; null: none for this survey.
      ...(quietMode === 'off' ? { quiet_hours: null } : {}),
      ...(quietMode === 'own' ? { quiet_hours: { start: form.quiet_hours_start, end: form.quiet_hours_end } } : {}),
    },
  };
  if (quietMode === 'own') {
    for (const end of ['start', 'end']) if (!form[`quiet_hours_${end}`]) errors.push({ field: `quiet_hours_${end}`, message: t(locale, 'surveys.quiet_hours_needed') });
  }
  if (errors.length) {
    // Show every problem at once: what the service would say about the other fields too.
    const checked = schema.safeParse(input);
    const seen = new Set(errors.map((e) => e.field));
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const field = formFieldOf(issue.path.map(String).join('.'), form.default_locale);
        if (!seen.has(field)) errors.push({ field, message: issue.message });
      }
    }
    throw new ValidationError(errors);
  }
  return input as SurveyInput & SurveyPatch;
}
