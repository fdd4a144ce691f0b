import type { FieldError } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import { formChecked, formNumber, formText, parseFormFields } from '../http/forms.ts';
import { globalRulesSchema, settingsSchema, type Settings } from '../settings/service.ts';
import { t, type Locale } from '../i18n/index.ts';

/** The settings page's fields, flat as the form sends them (all strings; checkboxes on or absent). */
export type SettingsForm = Record<string, string | boolean>;

/** The form's checkboxes (every other field is text). */
const isCheckbox = (name: string) => name.startsWith('override_') || name === 'admins_require_two_factor';

const settingFields = settingsSchema.shape;
const ruleFields = globalRulesSchema.shape;
const capFields = ruleFields.cap.unwrap().shape;
/** The form's numbers, each kept to its field of the settings schema (blank turns a rule off). */
const numberFields = {
  edit_window_hours: formNumber(settingFields.edit_window_hours),
  token_expiry_days: formNumber(settingFields.token_expiry_days),
  min_bucket_responses: formNumber(settingFields.min_bucket_responses),
  audit_retention_days: formNumber(settingFields.audit_retention_days),
  cooldown_after_invitation_days: formNumber(ruleFields.cooldown_after_invitation_days, { optional: true }),
  cooldown_after_response_days: formNumber(ruleFields.cooldown_after_response_days, { optional: true }),
  cap_count: formNumber(capFields.count, { optional: true }),
  cap_window_days: formNumber(capFields.window_days, { optional: true }),
};

/** The form's values for the settings in force (blank = off). */
export function formFromSettings(s: Settings): SettingsForm {
  const r = s.contact_rules;
  const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    reporting_time_zone: s.reporting_time_zone,
    default_locale: s.default_locale,
    sender_name: s.sender_name,
    sender_address: s.sender_address,
    reply_to: s.reply_to,
    brand_color: s.brand_color,
    logo_url: s.logo_url,
    edit_window_hours: n(s.edit_window_hours),
    token_expiry_days: n(s.token_expiry_days),
    min_bucket_responses: n(s.min_bucket_responses),
    audit_retention_days: n(s.audit_retention_days),
    cooldown_after_invitation_days: n(r.cooldown_after_invitation_days),
    cooldown_after_response_days: n(r.cooldown_after_response_days),
    cap_count: n(r.cap?.count),
    cap_window_days: n(r.cap?.window_days),
    quiet_hours_start: r.quiet_hours?.start ?? '',
    quiet_hours_end: r.quiet_hours?.end ?? '',
    override_cooldown_after_invitation: r.survey_may_override.cooldown_after_invitation,
    override_cooldown_after_response: r.survey_may_override.cooldown_after_response,
    override_quiet_hours: r.survey_may_override.quiet_hours,
    admins_require_two_factor: s.admins_require_two_factor,
  };
}

/** The form field that shows a settings field's error. */
export function formFieldOf(path: string): string {
  const map: Record<string, string> = {
    'contact_rules.cooldown_after_invitation_days': 'cooldown_after_invitation_days',
    'contact_rules.cooldown_after_response_days': 'cooldown_after_response_days',
    'contact_rules.cap.count': 'cap_count',
    'contact_rules.cap.window_days': 'cap_window_days',
    'contact_rules.quiet_hours.start': 'quiet_hours_start',
    'contact_rules.quiet_hours.end': 'quiet_hours_end',
  };
  return map[path] ?? path.replace(/^contact_rules\./, '');
}

/** The submitted fields as typed (to show again when something is wrong). */
export function readSettingsForm(raw: unknown): SettingsForm {
  const form: SettingsForm = {};
  for (const name of Object.keys(formFromSettings(blank))) {
    form[name] = isCheckbox(name) ? formChecked(raw, name) : formText(raw, name);
  }
  return form;
}

/**
 * The settings a submitted form asks for, checking every field at once so the
 * page can show each error beside its field (a ValidationError naming form fields).
 */
export function settingsFromForm(form: SettingsForm, locale: Locale = 'en'): Omit<Settings, 'widget_origins'> {
  const errors: FieldError[] = [];
  const pairOff = (a: string, b: string): boolean => {
    if (form[a] === '' && form[b] === '') return true;
    for (const name of [a, b]) if (form[name] === '') errors.push({ field: name, message: t(locale, 'settings.pair_needed') });
    return false;
  };

  const capOff = pairOff('cap_count', 'cap_window_days');
  const quietOff = pairOff('quiet_hours_start', 'quiet_hours_end');
  const { values: numbers, errors: numberErrors } = parseFormFields(form, numberFields);
  errors.push(...numberErrors);
  const settings = {
    reporting_time_zone: form.reporting_time_zone,
    default_locale: form.default_locale,
    sender_name: form.sender_name,
    sender_address: form.sender_address,
    reply_to: form.reply_to,
    brand_color: form.brand_color,
    logo_url: form.logo_url,
    edit_window_hours: numbers.edit_window_hours ?? null,
    token_expiry_days: numbers.token_expiry_days ?? null,
    min_bucket_responses: numbers.min_bucket_responses ?? null,
    audit_retention_days: numbers.audit_retention_days ?? null,
    admins_require_two_factor: form.admins_require_two_factor === true,
    contact_rules: {
      cooldown_after_invitation_days: numbers.cooldown_after_invitation_days ?? null,
      cooldown_after_response_days: numbers.cooldown_after_response_days ?? null,
      cap: capOff ? null : { count: numbers.cap_count ?? null, window_days: numbers.cap_window_days ?? null },
      quiet_hours: quietOff ? null : { start: form.quiet_hours_start, end: form.quiet_hours_end },
      survey_may_override: {
        cooldown_after_invitation: form.override_cooldown_after_invitation,
        cooldown_after_response: form.override_cooldown_after_response,
        quiet_hours: form.override_quiet_hours,
      },
    },
  };

  // The widget's sites have their own form (widgetOriginsFromForm).
  const checkedBySchema = settingsSchema.omit({ widget_origins: true }).safeParse(settings);
  if (!checkedBySchema.success) {
    for (const issue of checkedBySchema.error.issues) {
      const field = formFieldOf(issue.path.map(String).join('.'));
      // A field already named by the form's own checks keeps that message.
      if (!errors.some((e) => e.field === field)) errors.push({ field, message: issue.message });
    }
  }
  if (errors.length) throw new ValidationError(errors);
  return checkedBySchema.data as Omit<Settings, 'widget_origins'>;
}

/** The widget's sites as the Settings page's text box gives them: one per line (a trailing slash dropped); each line's error names it. */
export function widgetOriginsFromForm(text: string): string[] {
  const origins = [...new Set(text.split(/\r?\n/).map((line) => line.trim().replace(/\/+$/, '')).filter(Boolean))];
  const parsed = settingsSchema.shape.widget_origins.safeParse(origins);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({ field: 'widget_origins', message: typeof issue.path[0] === 'number' ? `line "${origins[issue.path[0]]}" ${issue.message}` : issue.message })));
  }
  return parsed.data;
}

const blank: Settings = {
  reporting_time_zone: 'UTC',
  default_locale: 'en',
  sender_name: '',
  sender_address: '',
  reply_to: '',
  brand_color: '#000000',
  logo_url: '',
  contact_rules: {
    cooldown_after_invitation_days: null,
    cooldown_after_response_days: null,
    cap: null,
    quiet_hours: null,
    survey_may_override: { cooldown_after_invitation: false, cooldown_after_response: false, quiet_hours: false },
  },
  edit_window_hours: 0,
  token_expiry_days: 1,
  min_bucket_responses: 1,
  audit_retention_days: 30,
  admins_require_two_factor: false,
  widget_origins: [],
};
