import type { Knex } from 'knex';
import { scales, type Metric, type Survey } from '../surveys/model.ts';
import { addCounts, figuresOf, type MarkedFigures, type ScoreCounts } from './compute.ts';
import {
  channelCounts,
  eventCount,
  filteredEventCount,
  filteredQuarterSendDays,
  heldAnswerTimes,
  quarterSendDays,
  rollupEventCount,
  rollupSendDays,
  segmentCounts,
  sentAndAnsweredBy,
} from './queries.ts';
import { inLocalDays, localDays } from './local-days.ts';
import type { PropertyFilter } from './property-filter.ts';
import type { AnswerFilter } from './sources.ts';
import { joinPeriods, quarterBounds, quarterHoursOf, rollupsAnswer, type Period } from './range.ts';
import { bucketStart, bucketStarts, groupDays, type Interval } from './series.ts';
import { dayCounts } from './day-counts.ts';
import { compareCounts, type Comparison } from './significance.ts';

/** What one survey's figures are asked for: the dashboards and GET /api/v1/metrics both ask through here. */
export interface ReportScope {
  survey: Survey;
  period: Period;
  /** The period of equal length just before, to compare with; null: no comparison. */
  previous: Period | null;
  /** Buckets are local days, weeks and months of this zone. */
  tz: string;
  reportingTz: string;
  interval: Interval;
  /** Fewer responses than this: too few to read. */
  min: number;
  where: PropertyFilter[];
  /** A property to split the period's figures by. */
  segment?: string;
  /** Split the period's figures by the channel the answers came by too. */
  byChannel?: boolean;
  /** Local dates whose every bucket the series lists, empty ones too (so charts draw gaps); else only buckets with data. */
  fill?: { from: string; to: string };
  /** Count the touchpoint's events for the funnel (one more query). */
  funnel?: boolean;
  /** Only answers of these sources (invitation, signed, anonymous, import) and channels (email, web, link, import); null or absent: all. */
  answers?: AnswerFilter | null;
}

export interface ResponseRate {
  /** Invitations sent (in the period, or in the bucket). */
  sent: number;
  /** How many of those were answered. */
  responded: number;
  /** responded / sent; null when none were sent. */
  rate: number | null;
}

/** A bucket: the figures of the responses answered in it, the 95 % band, and the response rate of the invitations sent in it. */
export type ReportBucket = { start: string } & MarkedFigures & Held & { low95: number | null; high95: number | null } & ResponseRate;

/** Answers given in the period that are held: stored, not counted until they settle (DESIGN.md, "Responses"). */
interface Held {
  held: number;
}

export interface SurveyReport {
  overall: MarkedFigures & Held & { low95: number | null; high95: number | null };
  previous: { from: string | null; to: string | null; overall: MarkedFigures } | null;
  /** The change against the previous period and its test; null unless both periods have enough responses. */
  change: Comparison | null;
  /** Responses per score, every score of the scale listed. */
  distribution: Record<string, number>;
  response_rate: ResponseRate;
  funnel?: { events: number; invitations_sent: number; responses: number };
  series: ReportBucket[];
  segments?: Record<string, MarkedFigures>;
  /** With byChannel: figures per channel the answers came by (email, web, link, import). */
  channels?: Record<string, MarkedFigures>;
}

const scoreRange: Record<Metric, [number, number]> = { nps: [-100, 100], csat: [0, 100], ces: [1, 7] };

/** score ± moe95, kept inside what the metric can be. */
function bandOf(metric: Metric, score: number | null, moe: number | null): { low95: number | null; high95: number | null } {
  if (score === null || moe === null) return { low95: null, high95: null };
  const [min, max] = scoreRange[metric];
  return { low95: Math.max(min, score - moe), high95: Math.min(max, score + moe) };
}

const rateOf = (sent: number, responded: number): ResponseRate => ({ sent, responded, rate: sent > 0 ? responded / sent : null });

const totalOf = (days: Map<string, ScoreCounts>): ScoreCounts => {
  const all: ScoreCounts = new Map();
  for (const counts of days.values()) addCounts(all, counts);
  return all;
};

/** Day counts of the period and of the one before: one read when both are whole local days. */
async function periodDays(db: Knex, scope: ReportScope): Promise<{ current: Map<string, ScoreCounts>; before: Map<string, ScoreCounts> | null }> {
  const { survey, period, previous, tz, reportingTz, where } = scope;
  const answers = scope.answers ?? null;
  if (!previous) return { current: await dayCounts(db, survey, period, tz, reportingTz, where, answers), before: null };
  if (period.fromDay && period.byDay && previous.byDay) {
    const both = await dayCounts(db, survey, joinPeriods(previous, period), tz, reportingTz, where, answers);
    const current = new Map<string, ScoreCounts>();
    const before = new Map<string, ScoreCounts>();
    for (const [day, counts] of both) (day >= period.fromDay ? current : before).set(day, counts);
    return { current, before };
  }
  const [current, before] = await Promise.all([dayCounts(db, survey, period, tz, reportingTz, where, answers), dayCounts(db, survey, previous, tz, reportingTz, where, answers)]);
  return { current, before };
}

/**
 * Invitations sent and answered per local day of sending, in `tz`: from the send rollups when they can
 * answer, the quarter-hour one in another zone, invitation_values under filters on several properties.
 */
async function sendDays(db: Knex, scope: ReportScope): Promise<Map<string, { sent: number; responded: number }>> {
  // The send rollups count every channel: one channel alone is counted from the invitations.
  const channels = scope.answers?.channels ?? null;
  if (channels === null && scope.where.length <= 1 && rollupsAnswer(scope.period, scope.tz, scope.reportingTz)) {
    return rollupSendDays(db, scope.survey.id, scope.period, scope.where[0] ?? null);
  }
  const quarters = channels === null ? quarterHoursOf(scope.period, scope.tz) : null;
  if (quarters) {
    return scope.where.length === 0 ? quarterSendDays(db, scope.survey.id, quarters) : filteredQuarterSendDays(db, scope.survey.id, scope.where, quarters);
  }
  const days = new Map<string, { sent: number; responded: number }>();
  for (const { day, row } of await inLocalDays(scope.tz, (chars) => sentAndAnsweredBy(db, scope.survey.id, scope.period, scope.where, chars, channels))) {
    const d = days.get(day) ?? days.set(day, { sent: 0, responded: 0 }).get(day)!;
    d.sent += row.sent;
    d.responded += row.answered;
  }
  return days;
}

/**
 * The funnel's events: with one property filtered on, from its rollup when that can answer; under filters
 * from event_values when the period is whole quarter-hours; else counted (through an index when unfiltered).
 */
function funnelEvents(db: Knex, scope: ReportScope): Promise<number> {
  const { survey, period, where } = scope;
  if (where.length === 1 && rollupsAnswer(period, scope.tz, scope.reportingTz)) return rollupEventCount(db, survey.touchpoint_id, period, where[0]);
  const quarters = where.length ? quarterBounds(period) : null;
  if (quarters) return filteredEventCount(db, survey.touchpoint_id, where, quarters);
  return eventCount(db, survey.touchpoint_id, period, where);
}

/** Every figure of one survey in a period: the pages format it, the API serves it as it is. */
export async function surveyReport(db: Knex, scope: ReportScope): Promise<SurveyReport> {
  const { survey, min, interval } = scope;
  const metric = survey.metric;
  const answers = scope.answers ?? null;
  const [{ current, before }, sends, events, segments, heldTimes, channels] = await Promise.all([
    periodDays(db, scope),
    sendDays(db, scope),
    scope.funnel ? funnelEvents(db, scope) : Promise.resolve(null),
    scope.segment ? segmentCounts(db, survey.id, scope.segment, scope.period, scope.reportingTz, scope.where, answers) : Promise.resolve(null),
    heldAnswerTimes(db, survey.id, scope.period, scope.where, answers),
    scope.byChannel ? channelCounts(db, survey.id, scope.period, scope.where, answers) : Promise.resolve(null),
  ]);
  const heldBuckets = new Map<string, number>();
  const { ofInstant } = localDays(scope.tz);
  for (const at of heldTimes) {
    const start = bucketStart(ofInstant(at), interval);
    heldBuckets.set(start, (heldBuckets.get(start) ?? 0) + 1);
  }

  const all = totalOf(current);
  const overall = figuresOf(metric, all, min);
  const beforeAll = before ? totalOf(before) : null;
  const previousFigures = beforeAll ? figuresOf(metric, beforeAll, min) : null;
  const comparable = beforeAll !== null && previousFigures !== null && !overall.too_small && !previousFigures.too_small;

  const responseBuckets = new Map(groupDays(current, interval));
  const sendBuckets = new Map<string, { sent: number; responded: number }>();
  let sent = 0;
  let responded = 0;
  for (const [day, d] of sends) {
    const start = bucketStart(day, interval);
    const b = sendBuckets.get(start) ?? sendBuckets.set(start, { sent: 0, responded: 0 }).get(start)!;
    b.sent += d.sent;
    b.responded += d.responded;
    sent += d.sent;
    responded += d.responded;
  }
  const starts = scope.fill
    ? bucketStarts(scope.fill.from, scope.fill.to, interval)
    : [...new Set([...responseBuckets.keys(), ...sendBuckets.keys(), ...heldBuckets.keys()])].sort();
  const series = starts.map((start): ReportBucket => {
    const figures = figuresOf(metric, responseBuckets.get(start) ?? new Map(), min);
    const s = sendBuckets.get(start);
    return { start, ...figures, held: heldBuckets.get(start) ?? 0, ...bandOf(metric, figures.score, figures.moe95), ...rateOf(s?.sent ?? 0, s?.responded ?? 0) };
  });

  const distribution: Record<string, number> = {};
  for (let s = scales[metric].min; s <= scales[metric].max; s++) distribution[String(s)] = all.get(s) ?? 0;

  const report: SurveyReport = {
    overall: { ...overall, held: heldTimes.length, ...bandOf(metric, overall.score, overall.moe95) },
    previous: scope.previous && previousFigures ? { from: scope.previous.from, to: scope.previous.to, overall: previousFigures } : null,
    change: comparable ? compareCounts(metric, beforeAll!, all) : null,
    distribution,
    response_rate: rateOf(sent, responded),
    series,
  };
  if (events !== null) report.funnel = { events, invitations_sent: sent, responses: responded };
  const figuresBy = (counts: Map<string, ScoreCounts>) => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([value, c]) => [value, figuresOf(metric, c, min)]));
  if (segments) report.segments = figuresBy(segments);
  if (channels) report.channels = figuresBy(channels);
  return report;
}
