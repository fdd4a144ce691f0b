import type { Metric } from '../surveys/model.ts';
import type { Comparison } from '../metrics/significance.ts';
import { formatFixed } from '../dates.ts';
import { t, type Locale as Language } from '../i18n/index.ts';

/** Scores, margins and changes as people read them; numbers follow the reader's locale (en, de), the words the page's language (`language`, English unless given). */

export const metricNames: Record<Metric, string> = { nps: 'NPS', csat: 'CSAT', ces: 'CES' };

/** The significance test of a metric's change, named in the page's language (metrics/significance.ts testNames in English). */
export const testName = (metric: Metric, language: Language = 'en'): string => t(language, 'dashboard.test_name', { metric });

type Locale = string | null | undefined;

/** A signed number: "+4", "−3" (a true minus sign), `zero` before 0. */
const signed = (value: number, digits: number, locale: Locale, zero: string): string => {
  const rounded = Number(value.toFixed(digits));
  const sign = rounded > 0 ? '+' : rounded < 0 ? '−' : zero;
  return `${sign}${formatFixed(Math.abs(rounded), digits, locale)}`;
};

/** The headline number as people read it: NPS +21, CSAT 76 %, CES 5.2 (de: CES 5,2). */
export function formatScore(metric: Metric, score: number | null, locale: Locale = 'en'): string {
  if (score === null) return '–';
  if (metric === 'nps') return signed(Math.round(score), 0, locale, '');
  if (metric === 'csat') return `${formatFixed(Math.round(score), 0, locale)} %`;
  return formatFixed(score, 1, locale);
}

export function formatMargin(metric: Metric, moe: number | null, locale: Locale = 'en'): string | null {
  if (moe === null) return null;
  return formatFixed(moe, metric === 'ces' ? 2 : 1, locale);
}

/** A change without its unit: +4.2, −3.0, ±0.00 (de: +4,2). */
export const formatChange = (metric: Metric, difference: number, locale: Locale = 'en'): string =>
  signed(difference, metric === 'ces' ? 2 : 1, locale, '±');

/** A change in the metric's units: +4.2 points, −3.0 pp, +0.35 (de: +4,2 Punkte, −3,0 Pp.). */
export function formatDifference(metric: Metric, difference: number, locale: Locale = 'en', language: Language = 'en'): string {
  const change = formatChange(metric, difference, locale);
  if (metric === 'nps') return t(language, 'dashboard.unit_points', { change });
  if (metric === 'csat') return t(language, 'dashboard.unit_pp', { change });
  return change;
}

export const formatP = (p: number, locale: Locale = 'en'): string => (p < 0.001 ? `p < ${formatFixed(0.001, 3, locale)}` : `p = ${formatFixed(p, 3, locale)}`);

export const formatPercent = (share: number | null, locale: Locale = 'en'): string =>
  share === null ? '–' : `${formatFixed(Math.round(100 * share), 0, locale)} %`;

export interface ChangeView {
  text: string;
  direction: 'up' | 'down' | 'flat';
  significant: boolean;
  verdict: string;
  test: string;
}

export function changeView(metric: Metric, comparison: Comparison | null, locale: Locale = 'en', language: Language = 'en'): ChangeView | null {
  if (!comparison) return null;
  const direction = comparison.difference > 0 ? 'up' : comparison.difference < 0 ? 'down' : 'flat';
  return {
    text: formatDifference(metric, comparison.difference, locale, language),
    direction,
    significant: comparison.significant,
    verdict: comparison.significant ? t(language, 'dashboard.significant', { p: formatP(comparison.p, locale) }) : t(language, 'dashboard.not_significant', { p: formatP(comparison.p, locale) }),
    test: comparison.test,
  };
}
