import type { AuditRow } from './queries.ts';
import { t, type Locale } from '../i18n/index.ts';

/**
 * The audit log read by people: who did it ("ann@example.com", "API key shop", "command line") and
 * what, as a sentence per action ("changed the role of ann@example.com from editor to admin"). An
 * action without its own sentence still reads: its name in words and its target.
 *
 * The words come from the catalogue (auditlog.*) in the reader's locale; English by default, which is
 * what the CSV export keeps. Data inside the sentences (emails, key names, roles, scopes, values) stays as stored;
 * values are passed as strings so that numbers read as stored (no grouping) in English.
 */

export type Detail = Record<string, unknown>;

export function parseDetail(text: string | null | undefined): Detail {
  try {
    const value = JSON.parse(text || '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Detail) : { value };
  } catch {
    return { text: String(text) };
  }
}

/** Who did it, as the Audit page and the CSV say it. */
export function actorText(row: Pick<AuditRow, 'actor_type' | 'actor_id' | 'actor_label'>, locale: Locale = 'en'): string {
  switch (row.actor_type) {
    case 'user':
      return row.actor_label || t(locale, 'auditlog.actor_user_id', { id: String(row.actor_id ?? '?') });
    case 'api_key':
      return t(locale, 'auditlog.actor_api_key', { name: row.actor_label || `#${row.actor_id ?? '?'}` });
    case 'cli':
      return t(locale, 'auditlog.actor_cli');
    case 'system':
      return t(locale, 'auditlog.actor_system');
    default:
      return t(locale, 'auditlog.actor_anonymous');
  }
}

/** Names of settings and rules as the Settings and survey pages call them (auditlog.setting_<name>). */
const names: Record<string, (locale: Locale) => string> = {
  reporting_time_zone: (locale) => t(locale, 'auditlog.setting_reporting_time_zone'),
  default_locale: (locale) => t(locale, 'auditlog.setting_default_locale'),
  sender_name: (locale) => t(locale, 'auditlog.setting_sender_name'),
  sender_address: (locale) => t(locale, 'auditlog.setting_sender_address'),
  reply_to: (locale) => t(locale, 'auditlog.setting_reply_to'),
  brand_color: (locale) => t(locale, 'auditlog.setting_brand_color'),
  logo_url: (locale) => t(locale, 'auditlog.setting_logo_url'),
  edit_window_hours: (locale) => t(locale, 'auditlog.setting_edit_window_hours'),
  token_expiry_days: (locale) => t(locale, 'auditlog.setting_token_expiry_days'),
  min_bucket_responses: (locale) => t(locale, 'auditlog.setting_min_bucket_responses'),
  audit_retention_days: (locale) => t(locale, 'auditlog.setting_audit_retention_days'),
  admins_require_two_factor: (locale) => t(locale, 'auditlog.setting_admins_require_two_factor'),
  cooldown_after_invitation_days: (locale) => t(locale, 'auditlog.setting_cooldown_after_invitation_days'),
  cooldown_after_response_days: (locale) => t(locale, 'auditlog.setting_cooldown_after_response_days'),
  global_cooldown_after_invitation_days: (locale) => t(locale, 'auditlog.setting_global_cooldown_after_invitation_days'),
  global_cooldown_after_response_days: (locale) => t(locale, 'auditlog.setting_global_cooldown_after_response_days'),
  cap: (locale) => t(locale, 'auditlog.setting_cap'),
  quiet_hours: (locale) => t(locale, 'auditlog.setting_quiet_hours'),
  survey_may_override: (locale) => t(locale, 'auditlog.setting_survey_may_override'),
  reminder_after_days: (locale) => t(locale, 'auditlog.setting_reminder_after_days'),
  sample_rate: (locale) => t(locale, 'auditlog.setting_sample_rate'),
  max_event_age_days: (locale) => t(locale, 'auditlog.setting_max_event_age_days'),
  precision_target: (locale) => t(locale, 'auditlog.setting_precision_target'),
  // The parts of "what a survey may set for itself" (survey_may_override's keys).
  cooldown_after_invitation: (locale) => t(locale, 'auditlog.setting_cooldown_after_invitation'),
  cooldown_after_response: (locale) => t(locale, 'auditlog.setting_cooldown_after_response'),
};
const nameOf = (key: string, locale: Locale) => (Object.hasOwn(names, key) ? names[key](locale) : key.replace(/_/g, ' '));

/** A setting's or rule's value in a few words. */
export function valueText(value: unknown, locale: Locale = 'en'): string {
  if (value === null || value === undefined) return t(locale, 'auditlog.value_off');
  if (value === '') return t(locale, 'auditlog.value_blank');
  if (typeof value === 'boolean') return value ? t(locale, 'auditlog.value_yes') : t(locale, 'auditlog.value_no');
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length ? value.map((v) => valueText(v, locale)).join(', ') : t(locale, 'auditlog.value_empty_list');
  const v = value as Record<string, unknown>;
  if (typeof v.start === 'string' && typeof v.end === 'string' && Object.keys(v).length === 2) return `${v.start}–${v.end}`;
  if (typeof v.count === 'number' && typeof v.window_days === 'number') return t(locale, 'auditlog.value_cap', { count: String(v.count), days: String(v.window_days) });
  if (typeof v.margin === 'number' && typeof v.period === 'string') {
    return t(locale, 'auditlog.value_precision', { margin: String(v.margin), period: v.period, segment: String(v.segment ?? ''), has_segment: typeof v.segment === 'string' ? 'yes' : 'no' });
  }
  const on = Object.entries(v).filter(([, x]) => typeof x === 'boolean');
  if (on.length === Object.keys(v).length) {
    const chosen = on.filter(([, x]) => x).map(([k]) => nameOf(k, locale));
    return chosen.length ? chosen.join(', ') : t(locale, 'auditlog.value_none');
  }
  return JSON.stringify(value);
}

/** "reporting time zone from UTC to Europe/Berlin; sender name from (blank) to Acme". */
function changesText(changes: unknown, locale: Locale): string {
  if (!changes || typeof changes !== 'object') return '';
  return Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>)
    .map(([key, c]) => t(locale, 'auditlog.change', { name: nameOf(key, locale), from: valueText(c?.from, locale), to: valueText(c?.to, locale) }))
    .join('; ');
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v) || 0);
const rows = (n: number, locale: Locale) => t(locale, 'auditlog.rows', { count: String(n) });
/** A select's switch: 'yes' when there is something to say. */
const yes = (v: unknown): string => (v ? 'yes' : 'no');

/** The target as a sentence names it: a user's email, a survey's key, a customer's id, an invitation's number. */
function targetText(row: AuditRow, locale: Locale): string {
  const label = row.target_label || row.target_id || '';
  switch (row.target_type) {
    case 'user':
      return label || t(locale, 'auditlog.target_a_user');
    case 'survey':
      return t(locale, 'auditlog.target_survey', { label });
    case 'customer':
      return t(locale, 'auditlog.target_customer', { label });
    case 'invitation':
      return t(locale, 'auditlog.target_invitation', { id: String(row.target_id ?? '?') });
    case 'api_key':
      return t(locale, 'auditlog.target_api_key', { label });
    default:
      return label;
  }
}

/** The kind of attempt a throttle counts, in words. */
const attemptWords = (kind: unknown, locale: Locale): string => {
  const k = typeof kind === 'string' ? kind : '';
  const which = /sign_?in|login|password$/.test(k) ? 'sign_in' : /reset/.test(k) ? 'reset' : /totp|second|factor|code/.test(k) ? 'second_factor' : k ? 'other' : 'sign_in';
  return t(locale, 'auditlog.attempt', { kind: which, words: k.replace(/_/g, ' ') });
};

/** "for ann@example.com" and the like: `who` with a switch saying whether there is one. */
const who = (name: string | null | undefined) => ({ has: yes(name), who: name || '' });

type Sentence = (row: AuditRow, d: Detail, target: string, locale: Locale) => string;

/** The actions Touchpoint records and how each reads; see the README's Security section. */
export const sentences: Record<string, Sentence> = {
  // Signing in, passwords and second factors (server/auth).
  'auth.sign_in': (_r, d, _t, locale) =>
    t(locale, 'auditlog.sign_in', { how: d.second_factor || d.method === 'totp' ? 'second' : d.method === 'recovery_code' ? 'recovery' : 'plain' }),
  'auth.sign_in_failed': (_r, d, tg, locale) =>
    t(locale, 'auditlog.sign_in_failed', { ...who(tg || str(d.email)), hasReason: yes(str(d.reason)), reason: str(d.reason) ?? '' }),
  'auth.sign_in_refused': (_r, d, tg, locale) =>
    t(locale, 'auditlog.sign_in_refused', { ...who(tg || str(d.email)), hasReason: yes(str(d.reason)), reason: str(d.reason) ?? '' }),
  'auth.sign_out': (_r, _d, _t, locale) => t(locale, 'auditlog.sign_out'),
  'auth.password_changed': (r, _d, tg, locale) =>
    tg && tg !== r.actor_label ? t(locale, 'auditlog.password_changed_of', { who: tg }) : t(locale, 'auditlog.password_changed_own'),
  'auth.password_reset_requested': (_r, d, tg, locale) => t(locale, 'auditlog.password_reset_requested', who(tg || str(d.email))),
  'auth.password_reset': (r, _d, tg, locale) => t(locale, 'auditlog.password_reset', who(tg && tg !== r.actor_label ? tg : null)),
  'auth.password_set': (r, _d, tg, locale) => t(locale, 'auditlog.password_set', who(tg && tg !== r.actor_label ? tg : null)),
  'auth.throttled': (_r, d, tg, locale) =>
    t(locale, 'auditlog.throttled', {
      attempt: attemptWords(d.kind, locale),
      ...who(tg),
      hasScope: yes(str(d.scope)),
      scope: str(d.scope) ? String(d.scope).replace(/_/g, ' ') : '',
      hasUntil: yes(str(d.until)),
      until: str(d.until) ?? '',
    }),
  'auth.second_factor_enabled': (_r, _d, tg, locale) => t(locale, 'auditlog.second_factor_enabled', who(tg)),
  'auth.second_factor_disabled': (_r, _d, tg, locale) => t(locale, 'auditlog.second_factor_disabled', who(tg)),
  'auth.second_factor_reset': (_r, _d, tg, locale) => t(locale, 'auditlog.second_factor_reset', who(tg)),
  'auth.second_factor_failed': (_r, _d, tg, locale) => t(locale, 'auditlog.second_factor_failed', who(tg)),
  'auth.recovery_code_used': (_r, _d, tg, locale) => t(locale, 'auditlog.recovery_code_used', who(tg)),
  'auth.recovery_codes_replaced': (_r, _d, tg, locale) => t(locale, 'auditlog.recovery_codes_replaced', who(tg)),
  // Users and roles.
  'user.created': (_r, d, tg, locale) => t(locale, 'auditlog.user_created', { who: tg, hasRole: yes(str(d.role)), role: str(d.role) ?? '' }),
  'user.invited': (_r, d, tg, locale) =>
    t(locale, 'auditlog.user_invited', { who: tg, hasRole: yes(str(d.role)), role: str(d.role) ?? '', again: yes(d.again) }),
  'user.role_changed': (_r, d, tg, locale) => t(locale, 'auditlog.user_role_changed', { who: tg, from: str(d.from) ?? '?', to: str(d.to) ?? '?' }),
  'user.deactivated': (_r, _d, tg, locale) => t(locale, 'auditlog.user_deactivated', { who: tg }),
  'user.reactivated': (_r, _d, tg, locale) => t(locale, 'auditlog.user_reactivated', { who: tg }),
  'user.deleted': (_r, _d, tg, locale) => t(locale, 'auditlog.user_deleted', { who: tg }),
  'setup.completed': (_r, _d, tg, locale) => t(locale, 'auditlog.setup_completed', who(tg)),
  // API keys.
  'apikey.created': (_r, d, tg, locale) =>
    t(locale, 'auditlog.apikey_created', {
      what: tg || t(locale, 'auditlog.target_an_api_key'),
      hasScopes: yes(Array.isArray(d.scopes)),
      scopes: Array.isArray(d.scopes) ? valueText(d.scopes, locale) : '',
      hasExpiry: yes(str(d.expires_at)),
      expires: str(d.expires_at) ?? '',
    }),
  'apikey.revoked': (_r, _d, tg, locale) => t(locale, 'auditlog.apikey_revoked', { what: tg || t(locale, 'auditlog.target_an_api_key') }),
  'apikey.scopes_changed': (_r, d, tg, locale) =>
    t(locale, 'auditlog.apikey_scopes_changed', {
      what: tg || t(locale, 'auditlog.target_an_api_key'),
      hasChange: yes(d.from !== undefined),
      from: d.from !== undefined ? valueText(d.from, locale) : '',
      to: d.from !== undefined ? valueText(d.to, locale) : '',
    }),
  // Settings and contact rules.
  'settings.changed': (_r, d, _t, locale) => t(locale, 'auditlog.settings_changed', { changes: changesText(d.changes, locale) }),
  'contact_rules.changed': (_r, d, _t, locale) => t(locale, 'auditlog.contact_rules_changed', { changes: changesText(d.changes, locale) }),
  'settings.link_secret_replaced': (_r, _d, _t, locale) => t(locale, 'auditlog.link_secret_replaced'),
  'settings.widget_secret_replaced': (_r, _d, _t, locale) => t(locale, 'auditlog.widget_secret_replaced'),
  // Surveys.
  'survey.created': (_r, d, tg, locale) =>
    t(locale, 'auditlog.survey_created', { what: tg, hasStatus: yes(str(d.status)), status: str(d.status) ?? '', hasFile: yes(str(d.file)), file: str(d.file) ?? '' }),
  'survey.status_changed': (_r, d, tg, locale) =>
    t(locale, 'auditlog.survey_status_changed', { what: tg, to: str(d.to) ?? '?', from: str(d.from) ?? '?', hasFile: yes(str(d.file)), file: str(d.file) ?? '' }),
  'survey.rules_changed': (_r, d, tg, locale) =>
    t(locale, 'auditlog.survey_rules_changed', { what: tg, changes: changesText(d.changes, locale), hasFile: yes(str(d.file)), file: str(d.file) ?? '' }),
  // Customers.
  'customer.erased': (_r, _d, tg, locale) => t(locale, 'auditlog.customer_erased', { what: tg }),
  'customer.exported': (_r, _d, tg, locale) => t(locale, 'auditlog.customer_exported', { what: tg }),
  'customer.bounce_cleared': (_r, _d, tg, locale) => t(locale, 'auditlog.customer_bounce_cleared', { what: tg }),
  // Imports (the command line).
  'import.responses': (_r, d, _t, locale) =>
    t(locale, 'auditlog.import_responses', {
      dry: yes(d.dry_run),
      file: str(d.file) ?? t(locale, 'auditlog.a_file'),
      taken: rows(num(d.taken), locale),
      refused: rows(num(d.refused), locale),
      skipped: rows(num(d.skipped), locale),
      hasError: yes(str(d.error)),
      error: str(d.error) ?? '',
    }),
  'import.events': (_r, d, _t, locale) =>
    t(locale, 'auditlog.import_events', {
      dry: yes(d.dry_run),
      file: str(d.file) ?? t(locale, 'auditlog.a_file'),
      send: yes(d.send),
      taken: rows(num(d.taken), locale),
      refused: rows(num(d.refused), locale),
      hasScheduled: yes(d.scheduled !== undefined),
      scheduled: String(num(d.scheduled)),
      hasError: yes(str(d.error)),
      error: str(d.error) ?? '',
    }),
  // The delivery log.
  'invitation.opened_as_customer': (_r, _d, tg, locale) => t(locale, 'auditlog.invitation_opened_as_customer', { what: tg }),
  // The audit log itself.
  'audit.pruned': (_r, d, _t, locale) =>
    t(locale, 'auditlog.audit_pruned', { deleted: String(num(d.deleted)), days: String(num(d.retention_days)), before: str(d.before) ?? '?' }),
};

/** What happened, as a sentence without the actor: "paused the survey delivery-nps (it was active)". */
export function actionSentence(row: AuditRow, detail: Detail = parseDetail(row.detail), locale: Locale = 'en'): string {
  const target = targetText(row, locale);
  const sentence = Object.hasOwn(sentences, row.action) ? sentences[row.action] : undefined;
  if (sentence) return sentence(row, detail, target, locale);
  // An action without its own sentence: "auth.totp_enrolled" reads "totp enrolled (auth)" in English; other
  // languages name the action as it is ("Aktion auth.totp_enrolled").
  const [area, ...rest] = row.action.split('.');
  const words = rest.length ? `${rest.join(' ').replace(/_/g, ' ')} (${area})` : area.replace(/_/g, ' ');
  return t(locale, 'auditlog.other_action', { words: locale === 'en' ? words : row.action, hasTarget: yes(target), target });
}
