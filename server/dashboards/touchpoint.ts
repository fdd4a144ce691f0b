import type { Knex } from 'knex';
import { NotFoundError, ValidationError } from '../errors.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { scales, type Metric, type Survey } from '../surveys/model.ts';
import type { NpsFigures, ScoreCounts } from '../metrics/compute.ts';
import { segmentCounts } from '../metrics/queries.ts';
import { parsePeriod, type Period } from '../metrics/range.ts';
import type { Interval } from '../metrics/series.ts';
import { figuresOf } from '../metrics/service.ts';
import { compareCounts, testNames } from '../metrics/significance.ts';
import { eventCount, matchingComments, recentProperties } from './queries.ts';
import { dayRange, defaultInterval, previousRange, scoreGroups, type DashboardQuery, type DayRange } from './filters.ts';
import { changeView, formatMargin, formatPercent, formatScore, metricNames } from './format.ts';
import { periodCounts, presetLinks, rangeAndPrevious, rangeText, responseRate, seriesOf } from './service.ts';
import { formatInstant, formatLocalDate } from '../dates.ts';

const COMMENTS_SHOWN = 50;
const PROPERTY_SAMPLE = 1000;

export interface TrendPoint {
  start: string;
  score: number | null;
  low: number | null;
  high: number | null;
  n: number;
  too_small: boolean;
}

/** The survey of a dashboard URL, or 404. */
export async function surveyForDashboard(db: Knex, key: string): Promise<Survey> {
  const survey = await findSurveyByKey(db, key);
  if (!survey) throw new NotFoundError(`No survey with the key ${key}`);
  return survey;
}

/** The period, interval and reporting zone of a touchpoint page, shared by the page and its CSV files. */
export async function pageScope(db: Knex, query: DashboardQuery, now: Date) {
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const range = dayRange(query, now, tz);
  const interval: Interval = query.interval ?? defaultInterval(range.days);
  return { tz, range, interval, period: parsePeriod(range.from, range.to, tz), min: settings.min_bucket_responses };
}

/** The series shown on the page (and in series.csv): buckets with score and its 95 % band. */
export async function trendSeries(db: Knex, survey: Survey, scope: { tz: string; range: DayRange; interval: Interval; period: Period; min: number }) {
  const { days, all } = await periodCounts(db, survey, scope.period, scope.tz);
  const buckets = seriesOf(survey.metric, days, scope.range, scope.interval, scope.min);
  return { all, buckets };
}

const scoreRange: Record<Metric, [number, number]> = { nps: [-100, 100], csat: [0, 100], ces: [1, 7] };

/** score ± moe95, kept inside what the metric can be. */
export function bandOf(metric: Metric, score: number | null, moe: number | null): { low: number | null; high: number | null } {
  if (score === null || moe === null) return { low: null, high: null };
  const [min, max] = scoreRange[metric];
  return { low: Math.max(min, score - moe), high: Math.min(max, score + moe) };
}

function distributionOf(metric: Metric, all: ScoreCounts, n: number, locale: string) {
  const share = (count: number) => (n > 0 ? formatPercent(count / n, locale) : '–');
  if (metric === 'nps') {
    const f = figuresOf('nps', all, 0) as NpsFigures;
    return [
      { label: 'Detractors (0–6)', count: f.detractors, share: share(f.detractors) },
      { label: 'Passives (7–8)', count: f.passives, share: share(f.passives) },
      { label: 'Promoters (9–10)', count: f.promoters, share: share(f.promoters) },
    ];
  }
  const rows = [];
  for (let s = scales[metric].min; s <= scales[metric].max; s++) rows.push({ label: String(s), count: all.get(s) ?? 0, share: share(all.get(s) ?? 0) });
  return rows;
}

/** Property names present in the newest responses, for the segment picker. */
function propertyNames(rows: string[]): string[] {
  const names = new Set<string>();
  for (const text of rows) {
    try {
      for (const key of Object.keys(JSON.parse(text || '{}'))) if (/^[A-Za-z0-9_.-]{1,64}$/.test(key)) names.add(key);
    } catch {
      // A response with broken properties has no segments.
    }
  }
  return [...names].sort();
}

/** GET /dashboard/:surveyKey: trend with band, distribution, funnel, segments and comments of one survey. */
export async function buildTouchpointPage(db: Knex, surveyKey: string, query: DashboardQuery, now: Date, locale = 'en') {
  const survey = await surveyForDashboard(db, surveyKey);
  const metric = survey.metric;
  const name = metricNames[metric];
  const groups = scoreGroups[metric];
  if (query.group && !groups[query.group]) {
    throw ValidationError.field('group', `must be one of ${Object.keys(groups).join(', ')} for ${name}`);
  }
  const scope = await pageScope(db, query, now);
  const { tz, range, interval, period, min } = scope;

  const { current, before } = await rangeAndPrevious(db, survey, range, tz);
  const all = current.all;
  const buckets = seriesOf(metric, current.days, range, interval, min);
  const overall = figuresOf(metric, all, min);
  const previous = previousRange(range);
  const previousFigures = figuresOf(metric, before.all, min);
  const comparable = !overall.too_small && !previousFigures.too_small;
  const points: TrendPoint[] = buckets.map((b) => ({ start: b.start, score: b.score, ...bandOf(metric, b.score, b.moe95), n: b.n, too_small: b.too_small }));

  const distribution = distributionOf(metric, all, overall.n, locale);
  const rate = await responseRate(db, survey.id, period, locale);
  const events = await eventCount(db, survey.touchpoint_id, period);
  const funnel = [
    { label: 'Events', count: events, share: '' },
    { label: 'Invitations sent', count: rate.sent, share: events > 0 ? `${formatPercent(rate.sent / events, locale)} of events` : '' },
    { label: 'Responses', count: rate.answered, share: rate.sent > 0 ? `${formatPercent(rate.answered / rate.sent, locale)} of invitations` : '' },
  ];

  const properties = propertyNames(await recentProperties(db, survey.id, period, PROPERTY_SAMPLE));
  let segments: { value: string; scoreText: string; marginText: string | null; n: number; tooSmall: boolean }[] = [];
  if (query.segment) {
    const counts = await segmentCounts(db, survey.id, query.segment, period, scope.tz);
    segments = [...counts]
      .map(([value, c]) => ({ value, f: figuresOf(metric, c, min) }))
      .sort((a, b) => (b.f.score ?? -Infinity) - (a.f.score ?? -Infinity) || b.f.n - a.f.n || a.value.localeCompare(b.value))
      .map(({ value, f }) => ({ value, scoreText: formatScore(metric, f.score, locale), marginText: formatMargin(metric, f.moe95, locale), n: f.n, tooSmall: f.too_small }));
  }

  const group = query.group ? groups[query.group] : null;
  const found = await matchingComments(db, survey.id, period, { minScore: group?.min ?? null, maxScore: group?.max ?? null, text: query.q ?? null }, COMMENTS_SHOWN);

  const filterParams: Record<string, string | undefined> = { interval: query.interval, segment: query.segment, group: query.group, q: query.q };
  const base = `/dashboard/${encodeURIComponent(survey.key)}`;
  const periodParams = new URLSearchParams(range.preset ? { preset: range.preset } : { from: range.from, to: range.to });
  if (query.interval) periodParams.set('interval', query.interval);

  const trendLabel = `${name} by ${interval}, with its 95 % band`;
  return {
    title: `${survey.touchpoint_name} · ${name}`,
    survey: { key: survey.key, status: survey.status },
    touchpoint: { key: survey.touchpoint_key, name: survey.touchpoint_name },
    metric: name,
    metricKey: metric,
    test: testNames[metric],
    filters: { from: range.from, to: range.to, preset: range.preset, interval, segment: query.segment ?? '', group: query.group ?? '', q: query.q ?? '' },
    previous,
    text: rangeText(range, previous, locale),
    timeZone: tz,
    minResponses: min,
    presets: presetLinks(base, range, filterParams),
    intervals: (['day', 'week', 'month'] as const).map((value) => ({ value, selected: value === interval })),
    headline: {
      scoreText: formatScore(metric, overall.score, locale),
      marginText: formatMargin(metric, overall.moe95, locale),
      n: overall.n,
      tooSmall: overall.too_small,
      change: comparable ? changeView(metric, compareCounts(metric, before.all, all), locale) : null,
      previousN: previousFigures.n,
      previousScoreText: formatScore(metric, previousFigures.score, locale),
      rateText: rate.text,
    },
    trend: {
      chart: { kind: 'trend', label: trendLabel, metric, points },
      rows: points.map((p) => ({
        start: p.start,
        startText: formatLocalDate(p.start, locale),
        scoreText: formatScore(metric, p.score, locale),
        bandText: p.low === null || p.high === null ? '–' : `${formatScore(metric, p.low, locale)} to ${formatScore(metric, p.high, locale)}`,
        n: p.n,
        tooSmall: p.n > 0 && p.too_small,
      })),
    },
    distribution: {
      chart: { kind: 'bar', label: metric === 'nps' ? 'Promoters, passives and detractors' : `Responses by score (${scales[metric].min}–${scales[metric].max})`, labels: distribution.map((d) => d.label), values: distribution.map((d) => d.count) },
      rows: distribution,
    },
    funnel: {
      chart: { kind: 'bar', label: 'Events, invitations sent and responses', labels: funnel.map((f) => f.label), values: funnel.map((f) => f.count) },
      rows: funnel,
    },
    segments: {
      properties: properties.map((p) => ({ value: p, selected: p === query.segment })),
      chosen: query.segment ?? null,
      rows: segments,
    },
    comments: {
      groups: Object.entries(groups).map(([value, g]) => ({ value, label: g.label, selected: value === query.group })),
      total: found.total,
      shown: found.rows.length,
      rows: found.rows.map((c) => ({ score: Number(c.score), comment: c.comment, locale: c.locale, when: formatInstant(c.answered_at, { timeZone: tz, locale }) })),
    },
    exports: {
      responses: `${base}/responses.csv?${periodParams}`,
      series: `${base}/series.csv?${periodParams}`,
    },
  };
}
