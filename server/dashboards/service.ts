import type { Knex } from 'knex';
import { getSettings } from '../settings/service.ts';
import { listSurveys, listTouchpoints } from '../surveys/queries.ts';
import type { Metric, Survey } from '../surveys/model.ts';
import { addCounts, type ScoreCounts } from '../metrics/compute.ts';
import { latestComments } from '../metrics/queries.ts';
import { parsePeriod, type Period } from '../metrics/range.ts';
import { bucketStarts, groupDays, type Interval } from '../metrics/series.ts';
import { dayCounts, figuresOf, type MarkedFigures } from '../metrics/service.ts';
import { compareCounts, testNames } from '../metrics/significance.ts';
import { sentAndAnswered } from './queries.ts';
import { dayRange, presetLabels, presets, previousRange, type DayRange, type Preset } from './filters.ts';
import { changeView, formatMargin, formatPercent, formatScore, metricNames, type ChangeView } from './format.ts';
import { formatInstant, formatLocalDate } from '../dates.ts';

export { DEFAULT_DAYS } from './filters.ts';
export { formatMargin, formatScore } from './format.ts';

export interface SeriesPoint {
  start: string;
  score: number | null;
  n: number;
  too_small: boolean;
}

export interface PeriodCounts {
  days: Map<string, ScoreCounts>;
  all: ScoreCounts;
}

const totalOf = (days: Map<string, ScoreCounts>): ScoreCounts => {
  const all: ScoreCounts = new Map();
  for (const counts of days.values()) addCounts(all, counts);
  return all;
};

/** Score counts of a period: per local day and in all. */
export async function periodCounts(db: Knex, survey: Survey, period: Period, tz: string): Promise<PeriodCounts> {
  const days = await dayCounts(db, survey, period, tz, tz);
  return { days, all: totalOf(days) };
}

/** The counts of a range and of the range of equal length before it, read from the rollup in one query. */
export async function rangeAndPrevious(db: Knex, survey: Survey, range: DayRange, tz: string): Promise<{ current: PeriodCounts; before: PeriodCounts }> {
  const previous = previousRange(range);
  const both = await dayCounts(db, survey, parsePeriod(previous.from, range.to, tz), tz, tz);
  const current = new Map<string, ScoreCounts>();
  const earlier = new Map<string, ScoreCounts>();
  for (const [day, counts] of both) (day >= range.from ? current : earlier).set(day, counts);
  return { current: { days: current, all: totalOf(current) }, before: { days: earlier, all: totalOf(earlier) } };
}

/** Every bucket of the range with its figures, empty ones included (score null), so charts draw gaps. */
export function seriesOf(metric: Metric, days: Map<string, ScoreCounts>, range: { from: string; to: string }, interval: Interval, min: number) {
  const byStart = new Map(groupDays(days, interval));
  return bucketStarts(range.from, range.to, interval).map((start) => ({ start, ...figuresOf(metric, byStart.get(start) ?? new Map(), min) }));
}

export interface ResponseRate {
  sent: number;
  answered: number;
  text: string;
}

export async function responseRate(db: Knex, surveyId: number, period: Period, locale = 'en'): Promise<ResponseRate> {
  const { sent, answered } = await sentAndAnswered(db, surveyId, period);
  return { sent, answered, text: sent > 0 ? formatPercent(answered / sent, locale) : '–' };
}

export interface DashboardCard {
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
  rate: ResponseRate;
  chartId: string;
  chart: { kind: 'trend'; label: string; metric: Metric; points: SeriesPoint[] };
  weeks: { start: string; startText: string; scoreText: string; n: number; tooSmall: boolean }[];
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
  to: string;
  previous: { from: string; to: string };
  text: RangeText;
  timeZone: string;
  minResponses: number;
  presets: PresetLink[];
  tests: { metric: string; test: string }[];
  cards: DashboardCard[];
}

/** Links to the presets of a page, keeping its other filters. */
export function presetLinks(path: string, range: DayRange, keep: Record<string, string | undefined> = {}): PresetLink[] {
  return presets.map((preset) => {
    const params = new URLSearchParams({ preset });
    for (const [k, v] of Object.entries(keep)) if (v) params.set(k, v);
    return { label: presetLabels[preset], href: `${path}?${params}`, current: range.preset === preset };
  });
}

async function cardFor(db: Knex, survey: Survey, range: DayRange, tz: string, min: number, locale: string): Promise<DashboardCard> {
  const period = parsePeriod(range.from, range.to, tz);
  const { current, before } = await rangeAndPrevious(db, survey, range, tz);
  const overall = figuresOf(survey.metric, current.all, min) as MarkedFigures;
  const previousFigures = figuresOf(survey.metric, before.all, min);
  // Only compare periods that can be read on their own.
  const comparable = !overall.too_small && !previousFigures.too_small;
  const points = seriesOf(survey.metric, current.days, range, 'week', min).map((b) => ({ start: b.start, score: b.score, n: b.n, too_small: b.too_small }));
  const comments = await latestComments(db, survey.id, period, 5);
  const params = new URLSearchParams(range.preset ? { preset: range.preset } : { from: range.from, to: range.to });
  return {
    touchpoint: { key: survey.touchpoint_key, name: survey.touchpoint_name },
    survey: { key: survey.key, status: survey.status },
    href: `/dashboard/${encodeURIComponent(survey.key)}?${params}`,
    metric: metricNames[survey.metric],
    scoreText: formatScore(survey.metric, overall.score, locale),
    marginText: formatMargin(survey.metric, overall.moe95, locale),
    n: overall.n,
    tooSmall: overall.too_small,
    change: comparable ? changeView(survey.metric, compareCounts(survey.metric, before.all, current.all), locale) : null,
    previousN: previousFigures.n,
    previousScoreText: formatScore(survey.metric, previousFigures.score, locale),
    rate: await responseRate(db, survey.id, period, locale),
    chartId: `trend-${survey.key}`,
    chart: { kind: 'trend', label: `${metricNames[survey.metric]} by week`, metric: survey.metric, points },
    weeks: points.map((p) => ({ start: p.start, startText: formatLocalDate(p.start, locale), scoreText: formatScore(survey.metric, p.score, locale), n: p.n, tooSmall: p.n > 0 && p.too_small })),
    comments: comments.map((c) => ({ score: Number(c.score), comment: c.comment, locale: c.locale, when: formatInstant(c.answered_at, { timeZone: tz, locale }) })),
  };
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
export async function buildDashboard(db: Knex, query: { from?: string; to?: string; preset?: Preset }, now: Date, locale = 'en'): Promise<Dashboard> {
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const range = dayRange(query, now, tz);
  // Cards in parallel: PostgreSQL answers them on several connections; SQLite queues them on its one.
  const cards = await Promise.all((await cardSurveys(db)).map((survey) => cardFor(db, survey, range, tz, settings.min_bucket_responses, locale)));
  return {
    from: range.from,
    to: range.to,
    previous: previousRange(range),
    text: rangeText(range, previousRange(range), locale),
    timeZone: tz,
    minResponses: settings.min_bucket_responses,
    presets: presetLinks('/dashboard', range),
    tests: (['nps', 'csat', 'ces'] as const).map((m) => ({ metric: metricNames[m], test: testNames[m] })),
    cards,
  };
}
