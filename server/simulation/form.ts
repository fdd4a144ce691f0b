import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { formNumber, parseFormFields } from '../http/forms.ts';
import { globalRulesSchema, type GlobalRules } from '../settings/service.ts';
import { precisionMarginProblem, precisionPeriods, precisionTargetSchema, surveyRulesSchema, type PrecisionTarget, type Survey } from '../surveys/model.ts';
import { surveyInputSchema } from '../surveys/schemas.ts';
import type { ProposedRules } from './service.ts';
import { t, type Locale } from '../i18n/index.ts';

/**
 * The simulation form: the survey's rule fields (named as on the survey form,
 * so the survey form can post its unsaved values here) and the global contact
 * rules (global_*). A global field that is absent keeps today's rule; one
 * sent blank turns the rule off.
 */
export type SimulationForm = Record<string, string>;

const surveyFields = [
  'sample_rate',
  'send_delay_minutes',
  'cooldown_after_invitation_days',
  'cooldown_after_response_days',
  'quiet_hours_mode',
  'quiet_hours_start',
  'quiet_hours_end',
  'precision_margin',
  'precision_period',
  'precision_segment',
] as const;
const globalFields = ['global_cooldown_after_invitation_days', 'global_cooldown_after_response_days', 'global_cap_count', 'global_cap_window_days'] as const;

const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/** The schema field that holds each number field's limits: the survey's (as the survey form and the API), the global rules' (as Settings). */
const limits = {
  sample_rate: surveyInputSchema.shape.sample_rate,
  send_delay_minutes: surveyInputSchema.shape.send_delay_minutes,
  cooldown_after_invitation_days: surveyRulesSchema.shape.cooldown_after_invitation_days,
  cooldown_after_response_days: surveyRulesSchema.shape.cooldown_after_response_days,
  global_cooldown_after_invitation_days: globalRulesSchema.shape.cooldown_after_invitation_days,
  global_cooldown_after_response_days: globalRulesSchema.shape.cooldown_after_response_days,
  global_cap_count: globalRulesSchema.shape.cap.unwrap().shape.count,
  global_cap_window_days: globalRulesSchema.shape.cap.unwrap().shape.window_days,
};
/** The form's numbers (blank: the rule off, where it may be off). */
const numberFields = {
  sample_rate: formNumber(limits.sample_rate, { decimal: true }),
  send_delay_minutes: formNumber(limits.send_delay_minutes),
  cooldown_after_invitation_days: formNumber(limits.cooldown_after_invitation_days, { optional: true }),
  cooldown_after_response_days: formNumber(limits.cooldown_after_response_days, { optional: true }),
  global_cooldown_after_invitation_days: formNumber(limits.global_cooldown_after_invitation_days, { optional: true }),
  global_cooldown_after_response_days: formNumber(limits.global_cooldown_after_response_days, { optional: true }),
  global_cap_count: formNumber(limits.global_cap_count, { optional: true }),
  global_cap_window_days: formNumber(limits.global_cap_window_days, { optional: true }),
  // Blank: no precision target.
  precision_margin: formNumber(precisionTargetSchema.shape.margin, { decimal: true, optional: true }),
};

/** The bounds of a number schema, through optional, nullable, a default and a transform after the number. */
function bounds(schema: z.core.$ZodType): { min: number | null; max: number | null } {
  if (schema instanceof z.ZodNumber) return { min: schema.minValue, max: schema.maxValue };
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) return bounds(schema.unwrap());
  if (schema instanceof z.ZodPipe) return bounds(schema.in);
  throw new Error(`not a number schema: ${schema._zod.def.type}`);
}

/** A number out of its schema's range (or past what a number holds), in this page's words: "must be between 0 and 100". */
const rangeMessage = (locale: Locale) => (issue: z.core.$ZodIssue, field: string): string => {
  const outOfRange = issue.code === 'too_big' || issue.code === 'too_small' || (issue.code === 'invalid_type' && issue.expected === 'number');
  if (!outOfRange || !(field in limits)) return issue.message;
  const { min, max } = bounds(limits[field as keyof typeof limits]);
  return t(locale, 'simulation.between', { min: String(min), max: String(max) });
};

/** Today's rules as form values. */
export function formFromRules(survey: Survey, global: GlobalRules): SimulationForm {
  const quiet = survey.rules.quiet_hours;
  return {
    sample_rate: String(survey.sample_rate),
    send_delay_minutes: String(survey.send_delay_minutes),
    cooldown_after_invitation_days: n(survey.rules.cooldown_after_invitation_days),
    cooldown_after_response_days: n(survey.rules.cooldown_after_response_days),
    quiet_hours_mode: quiet === undefined ? 'global' : quiet === null ? 'off' : 'own',
    quiet_hours_start: quiet?.start ?? '',
    quiet_hours_end: quiet?.end ?? '',
    global_cooldown_after_invitation_days: n(global.cooldown_after_invitation_days),
    global_cooldown_after_response_days: n(global.cooldown_after_response_days),
    global_cap_count: n(global.cap?.count),
    global_cap_window_days: n(global.cap?.window_days),
    precision_margin: n(survey.precision_target?.margin),
    precision_period: survey.precision_target?.period ?? 'month',
    precision_segment: survey.precision_target?.segment ?? '',
  };
}

/** The posted values over today's: a field the post does not carry keeps today's value. */
export function readSimulationForm(raw: unknown, today: SimulationForm): SimulationForm {
  const body = (raw ?? {}) as Record<string, unknown>;
  const form: SimulationForm = { ...today };
  for (const name of [...surveyFields, ...globalFields]) if (typeof body[name] === 'string') form[name] = (body[name] as string).trim();
  return form;
}

/** The proposed rules the form describes; a ValidationError names every bad field (in `locale`, where the message is this form's own). */
export function proposedFromForm(form: SimulationForm, survey: Survey, global: GlobalRules, locale: Locale = 'en'): ProposedRules {
  const { values: numbers, errors } = parseFormFields(form, numberFields, rangeMessage(locale));
  const rules = {
    // Rules the form does not show (reminders, overrides of the global cooldowns) stay as they are.
    ...survey.rules,
    cooldown_after_invitation_days: numbers.cooldown_after_invitation_days ?? null,
    cooldown_after_response_days: numbers.cooldown_after_response_days ?? null,
  } as Survey['rules'];
  delete rules.quiet_hours;
  if (form.quiet_hours_mode === 'off') rules.quiet_hours = null;
  else if (form.quiet_hours_mode === 'own') {
    for (const end of ['start', 'end']) if (!form[`quiet_hours_${end}`]) errors.push({ field: `quiet_hours_${end}`, message: t(locale, 'surveys.quiet_hours_needed') });
    rules.quiet_hours = { start: form.quiet_hours_start, end: form.quiet_hours_end };
  } else if (form.quiet_hours_mode !== 'global') errors.push({ field: 'quiet_hours_mode', message: t(locale, 'simulation.quiet_mode_invalid') });

  const capCount = numbers.global_cap_count ?? null;
  const capWindow = numbers.global_cap_window_days ?? null;
  if ((capCount === null) !== (capWindow === null) && !errors.some((e) => e.field.startsWith('global_cap'))) {
    errors.push({ field: capCount === null ? 'global_cap_count' : 'global_cap_window_days', message: t(locale, 'simulation.cap_both') });
  }
  const proposedGlobal: GlobalRules = {
    ...global,
    cooldown_after_invitation_days: numbers.global_cooldown_after_invitation_days ?? null,
    cooldown_after_response_days: numbers.global_cooldown_after_response_days ?? null,
    cap: capCount !== null && capWindow !== null ? { count: capCount, window_days: capWindow } : null,
  };
  const period = (precisionPeriods as readonly string[]).includes(form.precision_period) ? (form.precision_period as PrecisionTarget['period']) : 'month';
  const margin = numbers.precision_margin;
  const marginProblem = margin === undefined ? null : precisionMarginProblem(survey.metric, margin);
  if (marginProblem) errors.push({ field: 'precision_margin', message: marginProblem });
  if (errors.length) throw new ValidationError(errors);
  // A blank margin: no target.
  const precisionTarget: PrecisionTarget | null = margin === undefined ? null : { margin, period, ...(form.precision_segment ? { segment: form.precision_segment } : {}) };

  const checkedRules = surveyRulesSchema.safeParse(rules);
  if (!checkedRules.success) {
    throw new ValidationError(checkedRules.error.issues.map((i) => ({ field: i.path[0] === 'quiet_hours' ? `quiet_hours_${String(i.path[1] ?? 'mode')}` : String(i.path[0]), message: i.message })));
  }
  const checkedGlobal = globalRulesSchema.safeParse(proposedGlobal);
  if (!checkedGlobal.success) {
    throw new ValidationError(checkedGlobal.error.issues.map((i) => ({ field: `global_${i.path.map(String).join('_')}`, message: i.message })));
  }
  return {
    global: checkedGlobal.data,
    survey: { sample_rate: numbers.sample_rate, send_delay_minutes: numbers.send_delay_minutes, rules: checkedRules.data, precision_target: precisionTarget },
  };
}
