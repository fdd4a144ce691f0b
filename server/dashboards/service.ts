import type { Knex } from 'knex';
import { getSettings } from '../settings/service.ts';
import { listSurveys, listTouchpoints } from '../surveys/queries.ts';
import type { Metric, Survey } from '../surveys/model.ts';
import { parsePeriod } from '../metrics/range.ts';
import type { Interval } from '../metrics/series.ts';
import { surveyReport, type ResponseRate, type SurveyReport } from '../metrics/report.ts';
import type { PropertyFilter } from '../metrics/property-filter.ts';
import { answerFilter, sourceFor, type AnswerChannelChoice, type SourceChoice } from '../metrics/sources.ts';
import { latestComments, recentProperties } from './queries.ts';
import { filterView, pageHref, propertyOptions, type FilterView } from './property-filters.ts';
import { dayRange, presetLabel, presets, previousRange, type DayRange, type Preset } from './filters.ts';
import { changeView, formatMargin, formatPercent, formatScore, metricNames, testName, type ChangeView } from './format.ts';
import { formatInstant, formatLocalDate } from '../dates.ts';
import { sparkline } from './sparkline.ts';
import { t, type Locale } from '../i18n/index.ts';


/** Responses per card whose properties offer the overview's filter choices. */
const PROPERTY_SAMPLE_PER_CARD = 50;

interface SeriesPoint {
  start: string;
  /** The bucket's start as the reader's locale writes it (the chart's axis). */
  label: string;
  score: number | null;
  n: number;
  too_small: boolean;
}

/** The figures of one survey over a dashboard range, compared with the range of equal length before it. */
export function rangeReport(
  db: Knex,
  survey: Survey,
  range: DayRange,
  settings: { tz: string; min: number },
  options: { interval: Interval; where: PropertyFilter[]; segment?: string; funnel?: boolean; source?: SourceChoice; channel?: AnswerChannelChoice; weightBy?: string[] },
): Promise<SurveyReport> {
  const previous = previousRange(range);
  const { source, channel, ...rest } = options;
  return surveyReport(db, {
    survey,
    period: parsePeriod(range.from, range.to, settings.tz),
    previous: parsePeriod(previous.from, previous.to, settings.tz),
    tz: settings.tz,
    reportingTz: settings.tz,
    min: settings.min,
    fill: range,
    answers: answerFilter(sourceFor(survey, source), channel),
    ...rest,
  });
}

export interface RateView {
  sent: number;
  answered: number;
  text: string;
}

export const rateView = (rate: ResponseRate, locale: string): RateView => ({ sent: rate.sent, answered: rate.responded, text: formatPercent(rate.rate, locale) });

/** The words a trend chart draws (public/js/charts.js): its hollow points' and its band's names. */
interface TrendWords {
  tooFew: string;
  low: string;
  high: string;
}

export const trendWords = (language: Locale): TrendWords => ({
  tooFew: t(language, 'dashboard.chart_too_few'),
  low: t(language, 'dashboard.chart_low'),
  high: t(language, 'dashboard.chart_high'),
});

interface DashboardCard {
  touchpoint: { key: string; name: string };
  survey: { key: string; status: string } | null;
  href: string;
  metric: string;
  scoreText: string;
  marginText: string | null;
  n: number;
  tooSmall: boolean;
  change: ChangeView | null;
  previousN: number;
  previousScoreText: string;
  rate: RateView;
  chartId: string;
  chart: { kind: 'trend'; label: string; metric: Metric; locale: string; points: SeriesPoint[]; words: TrendWords };
  weeks: { start: string; startText: string; scoreText: string; n: number; tooSmall: boolean }[];
  /** The score tile's sparkline (sparkline.ts) and what it shows, in words. */
  spark: { line: string; faint: string; text: string };
  comments: { score: number; comment: string; locale: string | null; when: string }[];
}

export interface PresetLink {
  label: string;
  href: string;
  current: boolean;
}

/** A range of local dates as the reader's locale writes them. */
export interface RangeText {
  from: string;
  to: string;
  previousFrom: string;
  previousTo: string;
}

export function rangeText(range: { from: string; to: string }, previous: { from: string; to: string }, locale: string): RangeText {
  const d = (date: string) => formatLocalDate(date, locale);
  return { from: d(range.from), to: d(range.to), previousFrom: d(previous.from), previousTo: d(previous.to) };
}

export interface Dashboard {
  from: string;
  filters: FilterView;
  /** The filters in words, or null. */
  filterText: string | null;
  to: string;
  previous: { from: string; to: string };
  text: RangeText;
  timeZone: string;
  minResponses: number;
  presets: PresetLink[];
  tests: { metric: string; test: string }[];
  cards: DashboardCard[];
}

/** The property filters in words, in the page's language: "region is north or south; plan is team". */
export function filterWords(where: PropertyFilter[], language: Locale): string {
  return where.map((f) => t(language, 'dashboard.filter_is', { name: f.name, values: f.values.join(t(language, 'dashboard.filter_or')) })).join(t(language, 'dashboard.filter_and'));
}

/** Links to the presets of a page, keeping its other filters; labelled in the page's language. */
export function presetLinks(path: string, range: DayRange, keep: Record<string, string | undefined> = {}, where: PropertyFilter[] = [], language: Locale = 'en'): PresetLink[] {
  return presets.map((preset) => ({ label: presetLabel(language, preset), href: pageHref(path, { preset, ...keep }, where), current: range.preset === preset }));
}

/** The URL parameters of a range: its preset, else its dates. */
export const rangeParams = (range: DayRange): Record<string, string> => (range.preset ? { preset: range.preset } : { from: range.from, to: range.to });

async function cardFor(
  db: Knex,
  survey: Survey,
  range: DayRange,
  settings: { tz: string; min: number },
  where: PropertyFilter[],
  locale: string,
  language: Locale,
): Promise<DashboardCard> {
  const { tz } = settings;
  const [report, comments] = await Promise.all([
    rangeReport(db, survey, range, settings, { interval: 'week', where }),
    latestComments(db, survey.id, parsePeriod(range.from, range.to, tz), 5, where),
  ]);
  const { overall } = report;
  const previousFigures = report.previous!.overall;
  const points: SeriesPoint[] = report.series.map((b) => ({ start: b.start, label: formatLocalDate(b.start, locale), score: b.score, n: b.n, too_small: b.too_small }));
  return {
    touchpoint: { key: survey.touchpoint_key, name: survey.touchpoint_name },
    survey: { key: survey.key, status: survey.status },
    href: pageHref(`/dashboard/${encodeURIComponent(survey.key)}`, rangeParams(range), where),
    metric: metricNames[survey.metric],
    scoreText: formatScore(survey.metric, overall.score, locale),
    marginText: formatMargin(survey.metric, overall.moe95, locale),
    n: overall.n,
    tooSmall: overall.too_small,
    change: changeView(survey.metric, report.change, locale, language),
    previousN: previousFigures.n,
    previousScoreText: formatScore(survey.metric, previousFigures.score, locale),
    rate: rateView(report.response_rate, locale),
    chartId: `trend-${survey.key}`,
    chart: { kind: 'trend', label: t(language, 'dashboard.by_week', { metric: metricNames[survey.metric] }), metric: survey.metric, locale, points, words: trendWords(language) },
    weeks: points.map((p) => ({ start: p.start, startText: p.label, scoreText: formatScore(survey.metric, p.score, locale), n: p.n, tooSmall: p.n > 0 && p.too_small })),
    spark: { ...sparkline(points.map((p) => ({ score: p.score, tooSmall: p.too_small }))), text: sparkText(survey.metric, points, locale, language) },
    comments: comments.map((c) => ({ score: Number(c.score), comment: c.comment, locale: c.locale, when: formatInstant(c.answered_at, { timeZone: tz, locale }) })),
  };
}

/** The sparkline in words: the first and last readable week, or that none has enough responses. */
function sparkText(metric: Metric, points: SeriesPoint[], locale: string, language: Locale): string {
  const readable = points.filter((p) => p.score !== null && !p.too_small);
  if (readable.length === 0) return t(language, 'dashboard.spark_none');
  const first = readable[0];
  const last = readable[readable.length - 1];
  const at = (p: SeriesPoint) => t(language, 'dashboard.spark_week', { score: formatScore(metric, p.score, locale), date: p.label });
  return readable.length === 1 ? t(language, 'dashboard.spark_one', { week: at(first) }) : t(language, 'dashboard.spark_from_to', { first: at(first), last: at(last) });
}

/** The survey each touchpoint's card shows: its active survey, else its newest (two queries for all touchpoints). */
async function cardSurveys(db: Knex): Promise<Survey[]> {
  const surveys = await listSurveys(db);
  const newestFirst = (a: Survey, b: Survey) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id);
  const shown: Survey[] = [];
  for (const touchpoint of await listTouchpoints(db)) {
    const own = surveys.filter((s) => s.touchpoint_id === touchpoint.id).sort(newestFirst);
    const survey = own.find((s) => s.status === 'active') ?? own[0];
    if (survey) shown.push(survey);
  }
  return shown;
}

/** Every touchpoint with its active (else newest) survey: score, margin, change, response rate, weekly trend and latest comments. */
export async function buildDashboard(
  db: Knex,
  query: { from?: string; to?: string; preset?: Preset; where?: PropertyFilter[] },
  now: Date,
  locale = 'en',
  language: Locale = 'en',
): Promise<Dashboard> {
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const range = dayRange(query, now, tz);
  const where = query.where ?? [];
  const scope = { tz, min: settings.min_bucket_responses };
  const surveys = await cardSurveys(db);
  const period = parsePeriod(range.from, range.to, tz);
  // Cards in parallel: PostgreSQL answers them on several connections; SQLite queues them on its one.
  const [cards, samples] = await Promise.all([
    Promise.all(surveys.map((survey) => cardFor(db, survey, range, scope, where, locale, language))),
    Promise.all(surveys.map((survey) => recentProperties(db, survey.id, period, PROPERTY_SAMPLE_PER_CARD))),
  ]);
  return {
    from: range.from,
    to: range.to,
    filters: filterView('/dashboard', rangeParams(range), where, propertyOptions(samples.flat())),
    filterText: where.length ? filterWords(where, language) : null,
    previous: previousRange(range),
    text: rangeText(range, previousRange(range), locale),
    timeZone: tz,
    minResponses: settings.min_bucket_responses,
    presets: presetLinks('/dashboard', range, {}, where, language),
    tests: (['nps', 'csat', 'ces'] as const).map((m) => ({ metric: metricNames[m], test: testName(m, language) })),
    cards,
  };
}
