import type { AuditRow } from './queries.ts';

/**
 * The audit log read by people: who did it ("ann@example.com", "API key shop", "command line") and
 * what, as a sentence per action ("changed the role of ann@example.com from editor to admin"). An
 * action without its own sentence still reads: its name in words and its target.
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
export function actorText(row: Pick<AuditRow, 'actor_type' | 'actor_id' | 'actor_label'>): string {
  switch (row.actor_type) {
    case 'user':
      return row.actor_label || `user #${row.actor_id ?? '?'}`;
    case 'api_key':
      return `API key ${row.actor_label || `#${row.actor_id ?? '?'}`}`;
    case 'cli':
      return 'command line';
    case 'system':
      return 'system';
    default:
      return 'anonymous';
  }
}

/** Names of settings and rules as the Settings and survey pages call them. */
const names: Record<string, string> = {
  reporting_time_zone: 'reporting time zone',
  default_locale: 'default language',
  sender_name: 'sender name',
  sender_address: 'sender address',
  reply_to: 'reply-to address',
  brand_color: 'brand colour',
  logo_url: 'logo address',
  edit_window_hours: 'answer edit window (hours)',
  token_expiry_days: 'survey link expiry (days)',
  min_bucket_responses: 'fewest responses to read a figure',
  audit_retention_days: 'audit log kept for (days)',
  admins_require_two_factor: 'admins must use two-factor sign-in',
  cooldown_after_invitation_days: 'cooldown after invitation (days)',
  cooldown_after_response_days: 'cooldown after response (days)',
  global_cooldown_after_invitation_days: 'global cooldown after invitation (days)',
  global_cooldown_after_response_days: 'global cooldown after response (days)',
  cap: 'rolling cap',
  quiet_hours: 'quiet hours',
  survey_may_override: 'what a survey may set for itself',
  reminder_after_days: 'reminder after (days)',
  sample_rate: 'sample rate (%)',
  max_event_age_days: 'maximum event age (days)',
};
const nameOf = (key: string) => names[key] ?? key.replace(/_/g, ' ');

/** A setting's or rule's value in a few words. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return 'off';
  if (value === '') return '(blank)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length ? value.map(valueText).join(', ') : '(none)';
  const v = value as Record<string, unknown>;
  if (typeof v.start === 'string' && typeof v.end === 'string' && Object.keys(v).length === 2) return `${v.start}–${v.end}`;
  if (typeof v.count === 'number' && typeof v.window_days === 'number') return `${v.count} in ${v.window_days} days`;
  const on = Object.entries(v).filter(([, x]) => typeof x === 'boolean');
  if (on.length === Object.keys(v).length) {
    const chosen = on.filter(([, x]) => x).map(([k]) => nameOf(k));
    return chosen.length ? chosen.join(', ') : 'none';
  }
  return JSON.stringify(value);
}

/** "reporting time zone from UTC to Europe/Berlin; sender name from (blank) to Acme". */
function changesText(changes: unknown): string {
  if (!changes || typeof changes !== 'object') return '';
  return Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>)
    .map(([key, c]) => `${nameOf(key)} from ${valueText(c?.from)} to ${valueText(c?.to)}`)
    .join('; ');
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v) || 0);
const rows = (n: number) => `${n} ${n === 1 ? 'row' : 'rows'}`;

/** The target as a sentence names it: a user's email, a survey's key, a customer's id, an invitation's number. */
function targetText(row: AuditRow): string {
  const label = row.target_label || row.target_id || '';
  switch (row.target_type) {
    case 'user':
      return label || 'a user';
    case 'survey':
      return `the survey ${label}`;
    case 'customer':
      return `the customer ${label}`;
    case 'invitation':
      return `invitation #${row.target_id ?? '?'}`;
    case 'api_key':
      return `the API key ${label}`;
    default:
      return label;
  }
}

/** The kind of attempt a throttle counts, in words. */
const attemptWords = (kind: unknown): string => {
  const k = typeof kind === 'string' ? kind : '';
  if (/sign_?in|login|password$/.test(k)) return 'sign-in';
  if (/reset/.test(k)) return 'password reset';
  if (/totp|second|factor|code/.test(k)) return 'second-factor';
  return k ? k.replace(/_/g, ' ') : 'sign-in';
};

const statusVerbs: Record<string, string> = { active: 'activated', paused: 'paused', archived: 'archived', draft: 'set back to draft' };

type Sentence = (row: AuditRow, d: Detail, target: string) => string;

/** The actions Touchpoint records and how each reads; see the README's Security section. */
export const sentences: Record<string, Sentence> = {
  // Signing in, passwords and second factors (server/auth).
  'auth.sign_in': (_r, d) => `signed in${d.second_factor || d.method === 'totp' ? ' with a second factor' : d.method === 'recovery_code' ? ' with a recovery code' : ''}`,
  'auth.sign_in_failed': (_r, d, t) => `failed to sign in${t || str(d.email) ? ` as ${t || str(d.email)}` : ''}${str(d.reason) ? ` (${str(d.reason)})` : ''}`,
  'auth.sign_in_refused': (_r, d, t) => `was refused sign-in${t || str(d.email) ? ` as ${t || str(d.email)}` : ''}${str(d.reason) ? ` (${str(d.reason)})` : ''}`,
  'auth.sign_out': () => 'signed out',
  'auth.password_changed': (r, _d, t) => (t && t !== r.actor_label ? `changed the password of ${t}` : 'changed their password'),
  'auth.password_reset_requested': (_r, d, t) => `asked for a password reset${t || str(d.email) ? ` for ${t || str(d.email)}` : ''}`,
  'auth.password_reset': (r, _d, t) => `set a new password${t && t !== r.actor_label ? ` for ${t}` : ''} with a reset link`,
  'auth.password_set': (r, _d, t) => `set a first password${t && t !== r.actor_label ? ` for ${t}` : ''} with an invitation link`,
  'auth.throttled': (_r, d, t) =>
    `was held back after too many failed ${attemptWords(d.kind)} attempts${t ? ` for ${t}` : ''}${str(d.scope) ? ` (per ${String(d.scope).replace(/_/g, ' ')})` : ''}${str(d.until) ? `, until ${str(d.until)}` : ''}`,
  'auth.second_factor_enabled': (_r, _d, t) => `turned on two-factor sign-in${t ? ` for ${t}` : ''}`,
  'auth.second_factor_disabled': (_r, _d, t) => `turned off two-factor sign-in${t ? ` for ${t}` : ''}`,
  'auth.second_factor_reset': (_r, _d, t) => `reset the second factor of ${t || 'a user'}`,
  'auth.second_factor_failed': (_r, _d, t) => `entered a wrong second-factor code${t ? ` for ${t}` : ''}`,
  'auth.recovery_code_used': (_r, _d, t) => `used a recovery code${t ? ` of ${t}` : ''}`,
  'auth.recovery_codes_replaced': (_r, _d, t) => `made new recovery codes${t ? ` for ${t}` : ''}`,
  // Users and roles.
  'user.created': (_r, d, t) => `created the user ${t}${str(d.role) ? ` with the role ${str(d.role)}` : ''}`,
  'user.invited': (_r, d, t) => `invited ${t}${str(d.role) ? ` as ${str(d.role)}` : ''}${d.again ? ' (a new invitation link)' : ''}`,
  'user.role_changed': (_r, d, t) => `changed the role of ${t} from ${str(d.from) ?? '?'} to ${str(d.to) ?? '?'}`,
  'user.deactivated': (_r, _d, t) => `deactivated the user ${t}`,
  'user.reactivated': (_r, _d, t) => `reactivated the user ${t}`,
  'user.deleted': (_r, _d, t) => `deleted the user ${t}`,
  'setup.completed': (_r, _d, t) => `set up Touchpoint${t ? ` with the first admin ${t}` : ''}`,
  // API keys.
  'apikey.created': (_r, d, t) =>
    `created ${t || 'an API key'}${Array.isArray(d.scopes) ? ` with the scopes ${valueText(d.scopes)}` : ''}${str(d.expires_at) ? `, expiring ${str(d.expires_at)}` : ''}`,
  'apikey.revoked': (_r, _d, t) => `revoked ${t || 'an API key'}`,
  'apikey.scopes_changed': (_r, d, t) => `changed the scopes of ${t || 'an API key'}${d.from !== undefined ? ` from ${valueText(d.from)} to ${valueText(d.to)}` : ''}`,
  // Settings and contact rules.
  'settings.changed': (_r, d) => `changed the settings: ${changesText(d.changes)}`,
  'contact_rules.changed': (_r, d) => `changed the global contact rules: ${changesText(d.changes)}`,
  'settings.link_secret_replaced': () => 'replaced the secret for signed web links (links signed with the old one stop working)',
  'settings.widget_secret_replaced': () => 'replaced the widget secret (pages signed with the old one show no survey)',
  // Surveys.
  'survey.created': (_r, d, t) => `created ${t}${str(d.status) ? ` (${str(d.status)})` : ''}${str(d.file) ? ` from its file ${str(d.file)}` : ''}`,
  'survey.status_changed': (_r, d, t) => {
    const to = str(d.to) ?? '?';
    return `${statusVerbs[to] ?? `set to ${to}`} ${t} (it was ${str(d.from) ?? '?'})${str(d.file) ? `, from its file ${str(d.file)}` : ''}`;
  },
  'survey.rules_changed': (_r, d, t) => `changed the contact rules of ${t}: ${changesText(d.changes)}${str(d.file) ? ` (from its file ${str(d.file)})` : ''}`,
  // Customers.
  'customer.erased': (_r, _d, t) => `erased ${t}`,
  'customer.exported': (_r, _d, t) => `exported the data of ${t}`,
  'customer.bounce_cleared': (_r, _d, t) => `cleared the hard bounce of ${t}`,
  // Imports (the command line).
  'import.responses': (_r, d) =>
    `${d.dry_run ? 'tried (dry run, nothing written) importing' : 'imported'} responses from ${str(d.file) ?? 'a file'}: ${rows(num(d.taken))} taken, ${rows(num(d.refused))} refused, ${rows(num(d.skipped))} skipped as already imported${str(d.error) ? `; stopped: ${str(d.error)}` : ''}`,
  'import.events': (_r, d) =>
    `${d.dry_run ? 'tried (dry run, nothing written) importing' : 'imported'} events from ${str(d.file) ?? 'a file'}${d.send ? ' with --send (customers may be surveyed)' : ' as history (nobody surveyed)'}: ${rows(num(d.taken))} taken, ${rows(num(d.refused))} refused${d.scheduled !== undefined ? `, ${num(d.scheduled)} scheduled` : ''}${str(d.error) ? `; stopped: ${str(d.error)}` : ''}`,
  // The delivery log.
  'invitation.opened_as_customer': (_r, _d, t) => `opened ${t} as the customer (a preview that stores nothing)`,
  // The audit log itself.
  'audit.pruned': (_r, d) => `deleted ${num(d.deleted)} audit ${num(d.deleted) === 1 ? 'line' : 'lines'} older than ${num(d.retention_days)} days (before ${str(d.before) ?? '?'})`,
};

/** What happened, as a sentence without the actor: "paused the survey delivery-nps (it was active)". */
export function actionSentence(row: AuditRow, detail: Detail = parseDetail(row.detail)): string {
  const target = targetText(row);
  const sentence = sentences[row.action];
  if (sentence) return sentence(row, detail, target);
  // An action without its own sentence: "auth.totp_enrolled" reads "totp enrolled (auth)".
  const [area, ...rest] = row.action.split('.');
  const words = rest.length ? `${rest.join(' ').replace(/_/g, ' ')} (${area})` : area.replace(/_/g, ' ');
  return target ? `${words}: ${target}` : words;
}
