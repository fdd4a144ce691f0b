import type { Knex } from 'knex';
import { z } from 'zod';
import { parseInput } from '../validation.ts';
import { audit, type AuditActor } from '../audit/record.ts';
import { writeTransaction } from '../db/dialect.ts';
import { cached, deepFreeze } from '../db/versioned-cache.ts';
import { readAllSettings, writeSettings } from './queries.ts';

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 09:00');

export const quietHoursSchema = z
  .object({ start: timeOfDay, end: timeOfDay })
  .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] });
export type QuietHours = z.infer<typeof quietHoursSchema>;

export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** The time zones offered for reporting, UTC first. */
export function timeZoneChoices(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((zone) => zone !== 'UTC')];
}

/** A cooldown in days, the global one or a survey's own (server/surveys/model.ts); null, where allowed, turns it off. */
export const cooldownDaysSchema = z.number().int().min(0).max(3650);
const emailOrEmpty = z
  .string()
  .trim()
  .max(254)
  .refine((v) => v === '' || z.email().safeParse(v).success, 'must be an email address, or empty');

/** An https address with a host and no user name or password in it (shown to customers as an image). */
const isHttpsUrl = (value: string): boolean => {
  if (/\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
};

const logoUrl = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine((v) => v === '' || isHttpsUrl(v), 'must be an https:// address of an image, or empty');

/** The global contact rules (DESIGN.md, "Contact rules"); null turns a rule off. */
export const globalRulesSchema = z.object({
  cooldown_after_invitation_days: cooldownDaysSchema.nullable(),
  cooldown_after_response_days: cooldownDaysSchema.nullable(),
  cap: z.object({ count: z.number().int().min(1).max(1000), window_days: z.number().int().min(1).max(3650) }).nullable(),
  quiet_hours: quietHoursSchema.nullable(),
  /** Which rules a survey may set for itself, looser or stricter than the global one. */
  survey_may_override: z.object({
    cooldown_after_invitation: z.boolean(),
    cooldown_after_response: z.boolean(),
    quiet_hours: z.boolean(),
  }),
});
export type GlobalRules = z.infer<typeof globalRulesSchema>;

/** A site's origin as browsers send it: http(s)://host[:port], no path, lower case. */
const widgetOriginSchema = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be a site\'s origin such as https://shop.example (scheme and host, a port if any, no path or trailing slash)');

export const settingsSchema = z.object({
  reporting_time_zone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  default_locale: z.enum(['en', 'de']),
  sender_name: z.string().max(200),
  sender_address: emailOrEmpty,
  reply_to: emailOrEmpty,
  brand_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #2f6fdf'),
  /** The logo at the top of survey email and survey pages: an https image address, or '' for none. */
  logo_url: logoUrl,
  contact_rules: globalRulesSchema,
  /** How long after answering a customer may still change the answer. */
  edit_window_hours: z.number().int().min(0).max(24 * 90),
  token_expiry_days: z.number().int().min(1).max(365),
  /** Buckets with fewer responses are shown but marked as too small to read. */
  min_bucket_responses: z.number().int().min(1).max(10000),
  /** Audit log lines older than this are deleted by the worker (server/audit/retention.ts). */
  audit_retention_days: z
    .number('must be a whole number of days from 30 to 3650')
    .int('must be a whole number of days from 30 to 3650')
    .min(30, 'must be at least 30 days')
    .max(3650, 'must be at most 3650 days (10 years)'),
  /** Admins without a second factor are sent to enrol at sign-in and can use nothing else until they have (server/auth/two-factor-routes.ts). */
  admins_require_two_factor: z.boolean('must be on or off'),
  /** The sites allowed to show the widget (widget/), each an origin such as https://shop.example. */
  widget_origins: z.array(widgetOriginSchema).max(50, 'must be at most 50 sites'),
});
export type Settings = z.infer<typeof settingsSchema>;

export const defaultSettings: Settings = {
  reporting_time_zone: 'UTC',
  default_locale: 'en',
  sender_name: '',
  sender_address: '',
  reply_to: '',
  brand_color: '#2f5fd0',
  logo_url: '',
  contact_rules: {
    cooldown_after_invitation_days: 30,
    cooldown_after_response_days: null,
    cap: { count: 3, window_days: 90 },
    quiet_hours: { start: '09:00', end: '20:00' },
    survey_may_override: { cooldown_after_invitation: false, cooldown_after_response: true, quiet_hours: true },
  },
  edit_window_hours: 48,
  token_expiry_days: 30,
  min_bucket_responses: 30,
  audit_retention_days: 365,
  admins_require_two_factor: false,
  widget_origins: [],
};

/**
 * The settings in force: stored values over the defaults. Read once per process and kept until they
 * change (server/db/versioned-cache.ts): the object is shared and frozen; copy it to change it.
 */
export function getSettings(db: Knex): Promise<Settings> {
  return cached(db, 'settings', async () => deepFreeze(await readSettings(db)));
}

async function readSettings(db: Knex): Promise<Settings> {
  const all = await readAllSettings(db);
  // Only the settings' own keys: the table also holds bookkeeping rows (first_run_setup_at).
  const stored = Object.fromEntries(Object.entries(all).filter(([key]) => key in defaultSettings));
  const merged = { ...defaultSettings, ...stored } as Settings;
  merged.contact_rules = { ...defaultSettings.contact_rules, ...(stored.contact_rules as object | undefined) };
  return merged;
}

/** Who changed the settings, and when: the change is written to the audit log in the same transaction. */
export interface SettingsChange {
  actor: AuditActor;
  at: Date;
}

/** Setting names whose values never go into the audit log (only that they changed). */
const secretSetting = /secret|password|private/i;

type Changed = Record<string, { from: unknown; to: unknown }>;

/** The keys of `keys` whose values differ between two objects, with old and new values (secrets masked). */
function changedValues(before: Record<string, unknown>, after: Record<string, unknown>, keys: string[]): Changed {
  const changed: Changed = {};
  for (const key of keys) {
    if (JSON.stringify(before[key] ?? null) === JSON.stringify(after[key] ?? null)) continue;
    changed[key] = secretSetting.test(key) ? { from: '(secret)', to: '(secret)' } : { from: before[key] ?? null, to: after[key] ?? null };
  }
  return changed;
}

/**
 * Validates and stores changed settings; returns the settings now in force. With `change`, the write
 * and its audit lines (`settings.changed` with the changed keys' old and new values,
 * `contact_rules.changed` with the changed rules') are one transaction.
 */
export async function updateSettings(db: Knex, changes: Partial<Settings>, change?: SettingsChange): Promise<Settings> {
  if (!change) return writeChanges(db, changes);
  return writeTransaction(db, async (trx) => {
    const before = await getSettings(trx);
    const next = await writeChanges(trx, changes);
    const keys = (Object.keys(changes) as (keyof Settings)[]).filter((key) => key !== 'contact_rules');
    const settings = changedValues(before, next, keys);
    if (Object.keys(settings).length) {
      await audit(trx, { actor: change.actor, action: 'settings.changed', target: { type: 'settings', label: 'Settings' }, detail: { changes: settings } }, change.at);
    }
    if ('contact_rules' in changes) {
      const rulesBefore = before.contact_rules as unknown as Record<string, unknown>;
      const rulesAfter = next.contact_rules as unknown as Record<string, unknown>;
      const rules = changedValues(rulesBefore, rulesAfter, [...new Set([...Object.keys(rulesBefore), ...Object.keys(rulesAfter)])]);
      if (Object.keys(rules).length) {
        await audit(trx, { actor: change.actor, action: 'contact_rules.changed', target: { type: 'contact_rules', label: 'Global contact rules' }, detail: { changes: rules } }, change.at);
      }
    }
    return next;
  });
}

async function writeChanges(db: Knex, changes: Partial<Settings>): Promise<Settings> {
  const next = parseInput(settingsSchema, { ...(await getSettings(db)), ...changes });
  // The values as checked (trimmed, say), for the keys asked to change.
  await writeSettings(db, Object.fromEntries(Object.keys(changes).map((key) => [key, next[key as keyof Settings]])));
  return next;
}
