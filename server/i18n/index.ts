import { surveyPageMessages } from './survey-page.ts';
import { customerMailMessages } from './customer-mail.ts';
import { unsubscribePageMessages } from './unsubscribe-page.ts';
import { staffMailMessages } from './staff-mail.ts';

/** The locales customers can be asked in. */
export const locales = ['en', 'de'] as const;
export type Locale = (typeof locales)[number];

/** Every text of the app's catalogue, by locale; the keys are namespaced by where they appear (survey., email., unsubscribe., account., alert., digest.). */
const parts = [surveyPageMessages, customerMailMessages, unsubscribePageMessages, staffMailMessages];
export const catalogs: Readonly<Record<Locale, Readonly<Record<string, string>>>> = {
  en: Object.assign({}, ...parts.map((part) => part.en)),
  de: Object.assign({}, ...parts.map((part) => part.de)),
};

/** The supported locale closest to what was asked (de-AT → de), else the fallback. */
export function pickLocale(wanted: string | null | undefined, fallback: Locale = 'en'): Locale {
  const base = (wanted ?? '').toLowerCase().split(/[-_]/)[0];
  return (locales as readonly string[]).includes(base) ? (base as Locale) : fallback;
}

/** "1 row", "2 rows": a count with an English noun, singular for one (the staff pages' and the command line's words). */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A message in the locale, with {name} placeholders filled; English when a key is missing. */
export function t(locale: Locale, key: string, vars: Record<string, string | number> = {}): string {
  const template = catalogs[locale][key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
