import { surveyPageMessages } from './survey-page.ts';
import { emailMessages } from './email.ts';

/** The locales customers can be asked in. */
export const locales = ['en', 'de'] as const;
export type Locale = (typeof locales)[number];

type Catalog = Record<string, string>;
const catalogs: Record<Locale, Catalog> = {
  en: { ...surveyPageMessages.en, ...emailMessages.en },
  de: { ...surveyPageMessages.de, ...emailMessages.de },
};

/** The supported locale closest to what was asked (de-AT → de), else the fallback. */
export function pickLocale(wanted: string | null | undefined, fallback: Locale = 'en'): Locale {
  const base = (wanted ?? '').toLowerCase().split(/[-_]/)[0];
  return (locales as readonly string[]).includes(base) ? (base as Locale) : fallback;
}

/** A message in the locale, with {name} placeholders filled; English when a key is missing. */
export function t(locale: Locale, key: string, vars: Record<string, string | number> = {}): string {
  const template = catalogs[locale][key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
