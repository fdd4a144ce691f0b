import type { Knex } from 'knex';
import { DAY } from '../clock.ts';
import { NotFoundError } from '../errors.ts';
import { formatFixed, formatLocalDate, localDate } from '../dates.ts';
import { getSettings, type GlobalRules } from '../settings/service.ts';
import { listSurveys, listTouchpoints } from '../surveys/queries.ts';
import type { Survey } from '../surveys/model.ts';
import { PROPERTY_NAME } from '../metrics/property-filter.ts';
import { segmentPairs } from '../rollups/segments.ts';
import { t, type Locale } from '../i18n/index.ts';
import { toDbTime } from '../db/time.ts';
import { COUNT_GROUPS, GAP_GROUPS, LOOK_BACK_DAYS, fatigueCounts } from './figures.ts';
import { recentSentProperties } from './queries.ts';
import { ALPHA, MIN_GROUP, declineVerdict, supportedCap, supportedCooldown, wilsonInterval, type Counts, type Verdict } from './stats.ts';

/**
 * The survey-fatigue page (/fatigue, /fatigue/:touchpoint): the response rate of the invitations sent in
 * a period by the customer's history (invitations in the previous 90 days, days since the previous one)
 * and by segment; a finding only where the trend test finds a significant decline, with the cap or
 * cooldown the data supports and a link that opens the rule simulation with it.
 */

export const periodChoices = ['90', '180', '365'] as const;
const DEFAULT_PERIOD = '365';
/** At most this many segment values are listed (the largest). */
const SEGMENTS_SHOWN = 20;
/** Newest invitations whose events' properties are offered as segments. */
const PROPERTY_SAMPLE = 500;

export interface FatigueQuery {
  days?: (typeof periodChoices)[number];
  segment?: string;
}

/** A share as the pages show it: 41 %. */
const percent = (share: number, locale: string) => `${formatFixed(Math.round(100 * share), 0, locale)} %`;
const rateOf = (c: Counts, locale: string) => (c.n > 0 ? percent(c.x / c.n, locale) : '–');
function bandOf(c: Counts, locale: string): string {
  const band = wilsonInterval(c.x, c.n);
  return band ? `${formatFixed(Math.round(100 * band.low), 0, locale)}–${percent(band.high, locale)}` : '–';
}
/** p = 0.41, p = 0.003, p < 0.001 (kept on one line). */
const formatP = (p: number, locale: string) => (p < 0.001 ? `p\u00a0<\u00a0${formatFixed(0.001, 3, locale)}` : `p\u00a0=\u00a0${formatFixed(p, p < 0.1 ? 3 : 2, locale)}`);

/** A group's row: its counts, rate and band, marked when too small to read. */
const rowOf = (label: string, c: Counts, locale: string) => ({ label, n: c.n, answered: c.x, rateText: rateOf(c, locale), bandText: bandOf(c, locale), tooSmall: c.n < MIN_GROUP });

/** The trend test's verdict in words: the finding, or why there is none. */
function verdictText(verdict: Verdict, groups: Counts[], which: 'count' | 'gap', language: Locale, locale: string): string {
  if (verdict.kind === 'too_few') return t(language, 'fatigue.too_few', { min: MIN_GROUP });
  if (verdict.kind === 'no_variation') return t(language, 'fatigue.no_variation');
  const p = formatP(verdict.trend.p, locale);
  const from = rateOf(groups[verdict.first], locale);
  const to = rateOf(groups[verdict.last], locale);
  if (verdict.kind === 'decline') return t(language, which === 'count' ? 'fatigue.count_decline' : 'fatigue.gap_decline', { from, to, p });
  if (verdict.kind === 'rises') return t(language, 'fatigue.rises', { from, to, p });
  return t(language, 'fatigue.no_decline', { p });
}

/** A segment's verdict in a few words. */
function segmentVerdictText(verdict: Verdict, language: Locale, locale: string): string {
  if (verdict.kind === 'too_few') return t(language, 'fatigue.segment_too_few');
  if (verdict.kind === 'no_variation') return t(language, 'fatigue.segment_no_variation');
  return t(language, 'fatigue.segment_verdict', { kind: verdict.kind, p: formatP(verdict.trend.p, locale) });
}

const countLabel = (k: number, language: Locale) => (k === COUNT_GROUPS - 1 ? t(language, 'fatigue.count_or_more', { count: k }) : t(language, 'fatigue.count_group', { count: k }));
const gapLabel = (i: number, language: Locale) => {
  const g = GAP_GROUPS[i];
  return g.to === null ? t(language, 'fatigue.gap_rested', { days: LOOK_BACK_DAYS }) : t(language, 'fatigue.gap_range', { from: g.from, last: g.to - 1 });
};

const simulationHref = (survey: Survey, fields: Record<string, number>) =>
  `/surveys/${encodeURIComponent(survey.key)}/simulate?${new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString()}`;

/** The survey whose simulation the advice opens: the touchpoint's active one (else its newest); overall the first active one. */
function simulationSurvey(surveys: Survey[], touchpointId: number | null): Survey | null {
  const candidates = touchpointId === null ? surveys : surveys.filter((s) => s.touchpoint_id === touchpointId);
  return candidates.find((s) => s.status === 'active') ?? (touchpointId === null ? null : ([...candidates].sort((a, b) => b.id - a.id)[0] ?? null));
}

/** The property names of a sample of events' properties, sorted, with the chosen one among them. */
function propertyNames(samples: string[], chosen: string | null): string[] {
  const names = new Set<string>(chosen ? [chosen] : []);
  for (const text of samples) for (const [name] of segmentPairs(text)) if (PROPERTY_NAME.test(name)) names.add(name);
  return [...names].sort((a, b) => a.localeCompare(b));
}

function todayCap(rules: GlobalRules, language: Locale) {
  return rules.cap ? t(language, 'fatigue.today_cap', { count: rules.cap.count, days: rules.cap.window_days }) : t(language, 'fatigue.today_no_cap');
}
function todayCooldown(rules: GlobalRules, language: Locale) {
  const days = rules.cooldown_after_invitation_days;
  return days ? t(language, 'fatigue.today_cooldown', { days }) : t(language, 'fatigue.today_no_cooldown');
}

export async function buildFatiguePage(db: Knex, touchpointKey: string | null, query: FatigueQuery, now: Date, locale: string, language: Locale) {
  const [touchpoints, surveys, settings] = await Promise.all([listTouchpoints(db), listSurveys(db), getSettings(db)]);
  const touchpoint = touchpointKey === null ? null : (touchpoints.find((tp) => tp.key === touchpointKey) ?? null);
  if (touchpointKey !== null && !touchpoint) throw new NotFoundError(t(language, 'fatigue.not_found', { key: touchpointKey }));
  const surveyIds = touchpoint ? surveys.filter((s) => s.touchpoint_id === touchpoint.id).map((s) => s.id) : null;
  const days = Number(query.days ?? DEFAULT_PERIOD);
  const from = new Date(now.getTime() - days * DAY);
  const segment = query.segment ?? null;

  const [counts, samples] = await Promise.all([
    fatigueCounts(db, surveyIds, from, now, segment),
    recentSentProperties(db, { surveyIds, fromIso: toDbTime(from), toIso: toDbTime(now) }, PROPERTY_SAMPLE),
  ]);
  const rules = settings.contact_rules;
  const simulate = simulationSurvey(surveys, touchpoint?.id ?? null);
  const base = touchpoint ? `/fatigue/${encodeURIComponent(touchpoint.key)}` : '/fatigue';
  // The touchpoint links keep the period and the segment.
  const kept = new URLSearchParams();
  if (query.days) kept.set('days', query.days);
  if (segment) kept.set('segment', segment);
  const keep = kept.size ? `?${kept.toString()}` : '';

  // By earlier invitations in the look-back, and the cap the data supports.
  const countVerdict = declineVerdict(counts.byCount);
  const cap = countVerdict.kind === 'decline' ? supportedCap(counts.byCount) : null;
  const capAdvice = cap && {
    text: t(language, 'fatigue.cap_advice', {
      count: cap.count,
      days: LOOK_BACK_DAYS,
      more: cap.count === COUNT_GROUPS - 1 ? 'yes' : 'no',
      rate: rateOf(counts.byCount[cap.count], locale),
      rested: rateOf(counts.byCount[0], locale),
      p: formatP(cap.comparison.p, locale),
    }),
    link: simulate ? { href: simulationHref(simulate, { global_cap_count: cap.count, global_cap_window_days: LOOK_BACK_DAYS }), text: t(language, 'fatigue.simulate_cap', { count: cap.count, days: LOOK_BACK_DAYS, survey: simulate.key }) } : null,
  };

  // By days since the previous invitation, and the cooldown the data supports.
  const gapGroups = counts.byGap.map((c, i) => ({ ...c, from: GAP_GROUPS[i].from }));
  const gapVerdict = declineVerdict(counts.byGap);
  const cooldown = gapVerdict.kind === 'decline' ? supportedCooldown(gapGroups) : null;
  const cooldownAdvice = cooldown && {
    text: t(language, 'fatigue.cooldown_advice', {
      days: cooldown.days,
      gapFrom: GAP_GROUPS[cooldown.below].from,
      gapLast: (GAP_GROUPS[cooldown.below].to ?? LOOK_BACK_DAYS) - 1,
      rate: rateOf(counts.byGap[cooldown.below], locale),
      rested: rateOf(counts.byGap[0], locale),
      lookBack: LOOK_BACK_DAYS,
      p: formatP(cooldown.comparison.p, locale),
    }),
    link: simulate ? { href: simulationHref(simulate, { global_cooldown_after_invitation_days: cooldown.days }), text: t(language, 'fatigue.simulate_cooldown', { days: cooldown.days, survey: simulate.key }) } : null,
  };

  const segments = counts.segments ? [...counts.segments].sort((a, b) => b.total.n - a.total.n || String(a.value).localeCompare(String(b.value))) : null;
  const title = touchpoint ? t(language, 'fatigue.title_touchpoint', { touchpoint: touchpoint.name }) : t(language, 'fatigue.title');

  return {
    title,
    heading: title,
    intro: t(language, 'fatigue.intro', {
      from: formatLocalDate(localDate(from, settings.reporting_time_zone), locale),
      to: formatLocalDate(localDate(now, settings.reporting_time_zone), locale),
      days: LOOK_BACK_DAYS,
    }),
    scopes: [
      { label: t(language, 'fatigue.overall'), data: false, href: `/fatigue${keep}`, current: !touchpoint },
      ...touchpoints.map((tp) => ({ label: tp.name, data: true, href: `/fatigue/${encodeURIComponent(tp.key)}${keep}`, current: tp.id === touchpoint?.id })),
    ],
    filters: {
      action: base,
      periods: periodChoices.map((value) => ({ value, label: t(language, 'fatigue.period_days', { days: Number(value) }), selected: Number(value) === days })),
      properties: propertyNames(samples, segment).map((name) => ({ value: name, selected: name === segment })),
    },
    empty: counts.total.n === 0,
    total: t(language, 'fatigue.total', { count: counts.total.n, answered: counts.total.x, rate: rateOf(counts.total, locale) }),
    minGroup: MIN_GROUP,
    lookBack: LOOK_BACK_DAYS,
    alpha: ALPHA,
    breakdowns: [
      {
        id: 'by-count',
        heading: t(language, 'fatigue.by_count', { days: LOOK_BACK_DAYS }),
        caption: t(language, 'fatigue.caption_count', { days: LOOK_BACK_DAYS }),
        column: t(language, 'fatigue.col_count'),
        rows: counts.byCount.map((c, k) => rowOf(countLabel(k, language), c, locale)),
        finding: countVerdict.kind === 'decline',
        verdict: verdictText(countVerdict, counts.byCount, 'count', language, locale),
        advice: capAdvice,
        noAdvice: countVerdict.kind === 'decline' && !cap ? t(language, 'fatigue.no_cap_advice') : null,
        today: todayCap(rules, language),
      },
      {
        id: 'by-gap',
        heading: t(language, 'fatigue.by_gap'),
        caption: t(language, 'fatigue.caption_gap'),
        column: t(language, 'fatigue.col_gap'),
        rows: counts.byGap.map((c, i) => rowOf(gapLabel(i, language), c, locale)),
        finding: gapVerdict.kind === 'decline',
        verdict: verdictText(gapVerdict, counts.byGap, 'gap', language, locale),
        advice: cooldownAdvice,
        noAdvice: gapVerdict.kind === 'decline' && !cooldown ? t(language, 'fatigue.no_cooldown_advice') : null,
        today: todayCooldown(rules, language),
      },
    ],
    segment: segments && {
      name: segment,
      rows: segments.slice(0, SEGMENTS_SHOWN).map((s) => ({
        ...rowOf(s.value ?? t(language, 'fatigue.segment_unset'), s.total, locale),
        unset: s.value === null,
        trend: segmentVerdictText(declineVerdict(s.byCount), language, locale),
      })),
      more: segments.length > SEGMENTS_SHOWN ? t(language, 'fatigue.segments_more', { count: segments.length - SEGMENTS_SHOWN }) : null,
    },
  };
}
