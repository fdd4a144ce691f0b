import type { FieldError } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import { globalRulesSchema, type GlobalRules } from '../settings/service.ts';
import { surveyRulesSchema, type Survey } from '../surveys/model.ts';
import type { ProposedRules } from './service.ts';

/**
 * The simulation form: the survey's rule fields (named as on the survey form,
 * so the survey form can post its unsaved values here) and the global contact
 * rules (global_*). A global field that is absent keeps today's rule; one
 * sent blank turns the rule off.
 */
export type SimulationForm = Record<string, string>;

const surveyFields = ['sample_rate', 'send_delay_minutes', 'cooldown_after_invitation_days', 'cooldown_after_response_days', 'quiet_hours_mode', 'quiet_hours_start', 'quiet_hours_end'] as const;
const globalFields = ['global_cooldown_after_invitation_days', 'global_cooldown_after_response_days', 'global_cap_count', 'global_cap_window_days'] as const;

const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

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
  };
}

/** The posted values over today's: a field the post does not carry keeps today's value. */
export function readSimulationForm(raw: unknown, today: SimulationForm): SimulationForm {
  const body = (raw ?? {}) as Record<string, unknown>;
  const form: SimulationForm = { ...today };
  for (const name of [...surveyFields, ...globalFields]) if (typeof body[name] === 'string') form[name] = (body[name] as string).trim();
  return form;
}

/** The proposed rules the form describes; a ValidationError names every bad field. */
export function proposedFromForm(form: SimulationForm, survey: Survey, global: GlobalRules): ProposedRules {
  const errors: FieldError[] = [];
  const number = (name: string, opts: { whole?: boolean; optional?: boolean; max: number; min?: number }): number | null => {
    const value = form[name] ?? '';
    if (value === '') {
      if (!opts.optional) errors.push({ field: name, message: 'is required' });
      return null;
    }
    if (!(opts.whole === false ? /^\d+(\.\d+)?$/ : /^\d+$/).test(value)) {
      errors.push({ field: name, message: opts.whole === false ? 'must be a number such as 25 or 12.5' : 'must be a whole number' });
      return null;
    }
    const parsed = Number(value);
    if (parsed > opts.max || parsed < (opts.min ?? 0)) errors.push({ field: name, message: `must be between ${opts.min ?? 0} and ${opts.max}` });
    return parsed;
  };
  const sampleRate = number('sample_rate', { whole: false, max: 100 });
  const delay = number('send_delay_minutes', { max: 43200 });
  const rules = {
    // Rules the form does not show (reminders, overrides of the global cooldowns) stay as they are.
    ...survey.rules,
    cooldown_after_invitation_days: number('cooldown_after_invitation_days', { optional: true, max: 3650 }),
    cooldown_after_response_days: number('cooldown_after_response_days', { optional: true, max: 3650 }),
  } as Survey['rules'];
  delete rules.quiet_hours;
  if (form.quiet_hours_mode === 'off') rules.quiet_hours = null;
  else if (form.quiet_hours_mode === 'own') {
    for (const end of ['start', 'end']) if (!form[`quiet_hours_${end}`]) errors.push({ field: `quiet_hours_${end}`, message: "is needed for the survey's own quiet hours" });
    rules.quiet_hours = { start: form.quiet_hours_start, end: form.quiet_hours_end };
  } else if (form.quiet_hours_mode !== 'global') errors.push({ field: 'quiet_hours_mode', message: 'must be global, own or off' });

  const capCount = number('global_cap_count', { optional: true, max: 1000, min: 1 });
  const capWindow = number('global_cap_window_days', { optional: true, max: 3650, min: 1 });
  if ((capCount === null) !== (capWindow === null) && !errors.some((e) => e.field.startsWith('global_cap'))) {
    errors.push({ field: capCount === null ? 'global_cap_count' : 'global_cap_window_days', message: 'give both the number of invitations and the window, or neither (no cap)' });
  }
  const proposedGlobal: GlobalRules = {
    ...global,
    cooldown_after_invitation_days: number('global_cooldown_after_invitation_days', { optional: true, max: 3650 }),
    cooldown_after_response_days: number('global_cooldown_after_response_days', { optional: true, max: 3650 }),
    cap: capCount !== null && capWindow !== null ? { count: capCount, window_days: capWindow } : null,
  };
  if (errors.length) throw new ValidationError(errors);

  const checkedRules = surveyRulesSchema.safeParse(rules);
  if (!checkedRules.success) {
    throw new ValidationError(checkedRules.error.issues.map((i) => ({ field: i.path[0] === 'quiet_hours' ? `quiet_hours_${String(i.path[1] ?? 'mode')}` : String(i.path[0]), message: i.message })));
  }
  const checkedGlobal = globalRulesSchema.safeParse(proposedGlobal);
  if (!checkedGlobal.success) {
    throw new ValidationError(checkedGlobal.error.issues.map((i) => ({ field: `global_${i.path.map(String).join('_')}`, message: i.message })));
  }
  return { global: checkedGlobal.data, survey: { sample_rate: sampleRate!, send_delay_minutes: delay!, rules: checkedRules.data } };
}
