import type { Knex } from 'knex';
import { localDate } from '../dates.ts';
import { ValidationError } from '../errors.ts';
import { getSettings } from '../settings/service.ts';
import { findActiveSurveyForTouchpoint, findSurveyByKey, listTouchpoints } from '../surveys/queries.ts';
import type { Metric, Survey } from '../surveys/model.ts';
import { latestComments } from '../metrics/queries.ts';
import { parsePeriod } from '../metrics/range.ts';
import { addDays, bucketStarts, isCalendarDate } from '../metrics/series.ts';
import { surveyMetrics, type MarkedFigures } from '../metrics/service.ts';
import { latestSurveyKeyForTouchpoint } from './queries.ts';

export const DEFAULT_DAYS = 90;

const metricNames: Record<Metric, string> = { nps: 'NPS', csat: 'CSAT', ces: 'CES' };

/** The headline number as people read it: NPS +21, CSAT 76 %, CES 5.2. */
export function formatScore(metric: Metric, score: number | null): string {
  if (score === null) return '–';
  if (metric === 'nps') {
    const rounded = Math.round(score);
    return `${rounded > 0 ? '+' : rounded < 0 ? '−' : ''}${Math.abs(rounded)}`;
  }
  if (metric === 'csat') return `${Math.round(score)} %`;
  return score.toFixed(1);
}

export function formatMargin(metric: Metric, moe: number | null): string | null {
  if (moe === null) return null;
  return metric === 'ces' ? moe.toFixed(2) : moe.toFixed(1);
}

export interface DashboardCard {
  touchpoint: { key: string; name: string };
  survey: { key: string; status: string } | null;
  metric: string;
  scoreText: string;
  marginText: string | null;
  n: number;
  tooSmall: boolean;
  chartId: string;
  chart: { label: string; metric: Metric; points: { start: string; score: number | null; n: number; too_small: boolean }[] };
  weeks: { start: string; scoreText: string; n: number; tooSmall: boolean }[];
  comments: { score: number; comment: string; locale: string | null; when: string }[];
}

export interface Dashboard {
  from: string;
  to: string;
  timeZone: string;
  minResponses: number;
  cards: DashboardCard[];
}

function readDate(value: unknown, field: 'from' | 'to'): string | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !isCalendarDate(value)) throw ValidationError.field(field, 'must be a date such as 2026-03-01');
  return value;
}

async function cardFor(db: Knex, survey: Survey, from: string, to: string, tz: string): Promise<DashboardCard> {
  const metrics = await surveyMetrics(db, { survey: survey.key, from, to, interval: 'week', tz });
  const overall = metrics.overall as MarkedFigures;
  const byStart = new Map(metrics.series.map((b) => [b.start, b]));
  // Every week of the period, empty ones included, so the line shows gaps where nobody answered.
  const points = bucketStarts(from, to, 'week').map((start) => {
    const b = byStart.get(start);
    return { start, score: b ? b.score : null, n: b ? b.n : 0, too_small: b ? b.too_small : true };
  });
  const when = new Intl.DateTimeFormat('en-GB', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' });
  const comments = await latestComments(db, survey.id, parsePeriod(from, to, tz), 5);
  return {
    touchpoint: { key: survey.touchpoint_key, name: survey.touchpoint_name },
    survey: { key: survey.key, status: survey.status },
    metric: metricNames[survey.metric],
    scoreText: formatScore(survey.metric, overall.score),
    marginText: formatMargin(survey.metric, overall.moe95),
    n: overall.n,
    tooSmall: overall.too_small,
    chartId: `trend-${survey.key}`,
    chart: { label: `${metricNames[survey.metric]} by week`, metric: survey.metric, points },
    weeks: points.map((p) => ({ start: p.start, scoreText: formatScore(survey.metric, p.score), n: p.n, tooSmall: p.n > 0 && p.too_small })),
    comments: comments.map((c) => ({ score: Number(c.score), comment: c.comment, locale: c.locale, when: when.format(new Date(c.answered_at)) })),
  };
}

/** Every touchpoint with its active (else newest) survey: score, margin, weekly trend and latest comments. */
export async function buildDashboard(db: Knex, query: { from?: unknown; to?: unknown }, now: Date): Promise<Dashboard> {
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const to = readDate(query.to, 'to') ?? localDate(now, tz);
  const from = readDate(query.from, 'from') ?? addDays(to, -(DEFAULT_DAYS - 1));
  if (from > to) throw ValidationError.field('to', 'must not be before from');
  const cards: DashboardCard[] = [];
  for (const touchpoint of await listTouchpoints(db)) {
    let survey = await findActiveSurveyForTouchpoint(db, touchpoint.id);
    if (!survey) {
      const latest = await latestSurveyKeyForTouchpoint(db, touchpoint.id);
      survey = latest ? await findSurveyByKey(db, latest.key) : undefined;
    }
    if (survey) cards.push(await cardFor(db, survey, from, to, tz));
  }
  return { from, to, timeZone: tz, minResponses: settings.min_bucket_responses, cards };
}
