import { IntlMessageFormat } from 'intl-messageformat';
import { surveyPageMessages } from './survey-page.ts';
import { customerMailMessages } from './customer-mail.ts';
import { unsubscribePageMessages } from './unsubscribe-page.ts';
import { staffMailMessages } from './staff-mail.ts';
import { staffCommonMessages } from './staff/common.ts';
import { staffAccountMessages } from './staff/accounts.ts';
import { staffDashboardMessages } from './staff/dashboards.ts';
import { staffSurveyMessages } from './staff/surveys.ts';
import { staffDeliveryMessages } from './staff/deliveries.ts';
import { staffCustomerMessages } from './staff/customers.ts';
import { staffAdminMessages } from './staff/admin.ts';
import { staffFirstRunMessages } from './staff/first-run.ts';
import { staffValidationMessages } from './staff/validation.ts';
import { staffFatigueMessages } from './staff/fatigue.ts';
import { staffPrecisionMessages } from './staff/precision.ts';
import { cliMessages } from './cli.ts';
import { staffDetailMessages } from './staff/details.ts';
import type { Messages } from './messages.ts';

/** The locales customers can be asked in. */
export const locales = ['en', 'de'] as const;
export type Locale = (typeof locales)[number];

/**
 * Every text of the app, by locale, in ICU MessageFormat (FormatJS's intl-messageformat formats them:
 * `{name}` fills in a value, `{count, plural, one {# answer} other {# answers}}` follows the locale's plural
 * rules, numbers in the locale's way). Keys are namespaced by where they appear (survey., email.,
 * unsubscribe., account., alert., digest., and the staff pages' own: nav., common., …). Each file is listed
 * here once; a key in two files is refused by the catalogue test.
 */
export const catalogueParts: Readonly<Record<string, Messages>> = {
  surveyPageMessages,
  customerMailMessages,
  unsubscribePageMessages,
  staffMailMessages,
  staffCommonMessages,
  staffAccountMessages,
  staffDashboardMessages,
  staffSurveyMessages,
  staffDeliveryMessages,
  staffCustomerMessages,
  staffAdminMessages,
  staffFirstRunMessages,
  staffValidationMessages,
  staffFatigueMessages,
  staffPrecisionMessages,
  cliMessages,
  staffDetailMessages,
};
const parts = Object.values(catalogueParts);
export const catalogs: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en: Object.assign({}, ...parts.map((part) => part.en)),
  de: Object.assign({}, ...parts.map((part) => part.de)),
};

/** The supported locale closest to what was asked (de-AT → de), else the fallback. */
export function pickLocale(wanted: string | null | undefined, fallback: Locale = 'en'): Locale {
  const base = (wanted ?? '').toLowerCase().split(/[-_]/)[0];
  return (locales as readonly string[]).includes(base) ? (base as Locale) : fallback;
}

/** The language of the page being answered (res.locals.locale, set for the staff pages from the user's choice, else the browser's). */
export const localeOf = (locals: Record<string, unknown>): Locale => pickLocale(locals.locale as string | undefined);

/** "1 row", "2 rows": a count with an English noun, singular for one (the command line's words; pages use a catalogue text with a plural). */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const formats = new Map<string, IntlMessageFormat | null>();

/** The compiled message of `key` in `locale` (English when the locale lacks it); null when it cannot be read. */
function compiled(locale: Locale, key: string): IntlMessageFormat | null {
  const id = `${locale}\n${key}`;
  let format = formats.get(id);
  if (format === undefined) {
    const template = catalogs[locale][key] ?? catalogs.en[key];
    try {
      format = template === undefined ? null : new IntlMessageFormat(template, locale === 'de' ? 'de-DE' : 'en-GB');
    } catch {
      format = null;
    }
    formats.set(id, format);
  }
  return format;
}

/**
 * A message in the locale with its values filled in (ICU MessageFormat: plurals by the locale's rules);
 * English when the locale lacks the key, the key itself when no locale has it. A message that cannot be
 * formatted (a value missing) never breaks a page: its {name} placeholders are filled as far as they can be.
 */
export function t(locale: Locale, key: string, vars: Record<string, string | number> = {}): string {
  const format = compiled(locale, key);
  if (format) {
    try {
      return String(format.format(vars));
    } catch {
      // Falls through to the plain fill below.
    }
  }
  const template = catalogs[locale][key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The English of the `validation.*` and `error.*` texts as patterns ({name} a value to read back), compiled once. */
let knownPatterns: { key: string; pattern: RegExp }[] | null = null;

function patterns(): { key: string; pattern: RegExp }[] {
  knownPatterns ??= Object.entries(catalogs.en)
    .filter(([key]) => key.startsWith('validation.') || key.startsWith('error.'))
    .map(([key, text]) => ({
      key,
      pattern: new RegExp(`^${text.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => `(?<${name}>.+?)`)}$`),
    }));
  return knownPatterns;
}

/**
 * A message the shared schemas and services give in English (a field's "must be an email address", the
 * password policy's sentences, the error page's "There is nothing at this address"), in the locale when
 * the catalogue knows it (validation.* and error.*, its values read back out of the English), else as it
 * is. English comes back unchanged. The one way a page or a refusal says such a message in German.
 */
export function translateKnown(locale: Locale, text: string): string {
  if (locale === 'en' || !text) return text;
  for (const { key, pattern } of patterns()) {
    const match = pattern.exec(text);
    if (match) return t(locale, key, { ...match.groups });
  }
  return text;
}
