import type { Deps } from '../deps.ts';
import { t, type Locale } from '../i18n/index.ts';
import { formatFixed, formatInstant, formatLocalDate, formatNumber } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import type { Metric, PrecisionTarget, Survey } from '../surveys/model.ts';
import { precisionStatus } from '../precision/report.ts';

/** The survey page's precision-target panel (issue 17): what is asked, the rate in force, the margins reached. */

/** A period as the page's language names it: "Mai 2027", "Q2 2027", "Woche ab 10. Mai 2027". */
export function periodName(locale: Locale, period: PrecisionTarget['period'], start: string): string {
  const [year, month] = start.split('-').map(Number);
  if (period === 'month') {
    return new Intl.DateTimeFormat(locale === 'de' ? 'de-DE' : 'en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${start}T12:00:00Z`));
  }
  if (period === 'quarter') return t(locale, 'precision.quarter', { quarter: Math.floor((month - 1) / 3) + 1, year });
  return t(locale, 'precision.week_of', { date: formatLocalDate(start, locale) });
}

/** A margin in the metric's unit: "±5", "±3 %", "±0,2". */
export const marginWords = (locale: Locale, metric: Metric, margin: number | null): string =>
  margin === null ? '–' : `±${formatNumber(margin, locale, { maximumFractionDigits: metric === 'ces' ? 2 : 1 })}${metric === 'csat' ? ' %' : ''}`;

const segmentName = (locale: Locale, segment: string) => (segment === '' ? t(locale, 'precision.whole') : segment);

/** The panel's view model; null for a survey without a target. */
export async function precisionPanel(deps: Pick<Deps, 'db' | 'clock'>, locale: Locale, survey: Survey) {
  const target = survey.precision_target;
  if (!target) return null;
  const status = await precisionStatus(deps, survey);
  if (!status) return null;
  const tz = (await getSettings(deps.db)).reporting_time_zone;
  const score = (value: number | null) => (value === null ? '–' : formatFixed(value, survey.metric === 'ces' ? 2 : 0, locale));
  const first = status.rates[0];
  return {
    target: t(locale, target.segment ? 'precision.target_words_segment' : 'precision.target_words', {
      metric: survey.metric.toUpperCase(),
      margin: marginWords(locale, survey.metric, target.margin),
      period: target.period,
      segment: target.segment ?? '',
    }),
    period: first ? periodName(locale, target.period, first.period.start) : '',
    computedAt: first ? formatInstant(first.computedAt, { timeZone: tz, locale, zone: true }) : '',
    ceiling: formatNumber(survey.sample_rate, locale),
    rates: [...status.rates]
      .sort((a, b) => (a.segment === '' ? -1 : b.segment === '' ? 1 : a.segment.localeCompare(b.segment)))
      .map((r) => ({
        segment: segmentName(locale, r.segment),
        rate: `${formatNumber(r.rate, locale)} %`,
        state: t(locale, 'precision.state', { state: r.state }),
        answers: t(locale, 'precision.answers_of', { so_far: formatNumber(r.basis.responsesSoFar, locale), expected: formatNumber(Math.round(r.plan.expectedResponses), locale), needed: formatNumber(r.plan.needed, locale) }),
        expectedMargin: marginWords(locale, survey.metric, r.plan.expectedMargin),
        basis: t(locale, 'precision.basis', {
          events: formatNumber(r.basis.eventsPerDay, locale, { maximumFractionDigits: 1 }),
          rate: formatNumber(100 * r.basis.responseRate, locale, { maximumFractionDigits: 1 }),
        }),
      })),
    periods: status.periods.flatMap((p) =>
      p.segments.map((s, i) => ({
        label: i === 0 ? periodName(locale, target.period, p.start) : '',
        current: p.current,
        segment: segmentName(locale, s.segment),
        n: formatNumber(s.n, locale),
        score: score(s.score),
        margin: marginWords(locale, survey.metric, s.margin),
        met: s.met,
      })),
    ),
  };
}
