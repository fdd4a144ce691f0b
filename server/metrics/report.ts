import type { Knex } from 'knex';
import { ValidationError } from '../errors.ts';
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
import { answersByCell, invitationsByCell } from './weighting-queries.ts';
import { cellWeights, MAX_CELLS, weightedFigures, weightIn, type PooledCells, type WeightCell, type WeightedFigures } from './weighting.ts';

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
  /** Event properties to reweight by for non-response (weighting.ts): `weighted` beside the figures of the period and of each bucket. */
  weightBy?: string[];
}

export interface ResponseRate {
  /** Invitations sent (in the period, or in the bucket). */
  sent: number;
  /** How many of those were answered. */
  responded: number;
  /** responded / sent; null when none were sent. */
  rate: number | null;
}

interface Band {
  low95: number | null;
  high95: number | null;
}

/** A score reweighted for non-response, with its band (weighting.ts). */
export type WeightedScore = WeightedFigures & Band & {
  /** n_eff is below the "min bucket responses" setting (or there is nothing to weight). */
  too_small: boolean;
};

/** The period's score reweighted for non-response: the score and band, and what the weights came from. */
export type WeightedOverall = WeightedScore & {
  weight_by: string[];
  /** Invitations sent in the period (not test invitations), and how many got a settled response. */
  invitations: number;
  responses: number;
  cells: WeightCell[];
  pooled: PooledCells | null;
  /** The same answers unweighted: what reweighting is compared with (the overall figure, less `left_out`). */
  unweighted: { score: number | null; moe95: number | null };
  /** Answers of the period that came without an invitation (web links, imports): not in the reweighted figure. */
  left_out: number;
};

/** A bucket: the figures of the responses answered in it, the 95 % band, and the response rate of the invitations sent in it. */
export type ReportBucket = { start: string } & MarkedFigures & Held & Band & ResponseRate & { weighted?: WeightedScore };

/** Answers given in the period that are held: stored, not counted until they settle (DESIGN.md, "Responses"). */
interface Held {
  held: number;
}

export interface SurveyReport {
  overall: MarkedFigures & Held & Band & { weighted?: WeightedOverall };
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
function bandOf(metric: Metric, score: number | null, moe: number | null): Band {
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

/** The invitations and answers per cell that reweighting reads, when the scope asks for it. */
async function weightingCounts(db: Knex, scope: ReportScope) {
  const properties = scope.weightBy ?? [];
  if (!properties.length) return null;
  const { survey, period, where } = scope;
  const answers = scope.answers ?? null;
  // The invitations first: properties with a value per event (ids, times) make no groups, and are refused before the answers are read by them.
  const invited = await invitationsByCell(db, survey.id, period, where, properties, answers?.channels ?? null, MAX_CELLS + 1);
  if (invited.length > MAX_CELLS) {
    throw ValidationError.field('weight_by', `has more than ${MAX_CELLS} different values among the invitations of the period: choose properties that group customers (region, plan …)`);
  }
  return { properties, invited, ...(await answersByCell(db, survey.id, period, where, properties, answers, scope.tz)) };
}

/**
 * The period's score reweighted for non-response (weighting.ts), and a function giving each bucket's with
 * the period's weights.
 */
function weighting(metric: Metric, min: number, interval: Interval, counts: NonNullable<Awaited<ReturnType<typeof weightingCounts>>>) {
  const total = new Map<string, ScoreCounts>();
  const buckets = new Map<string, Map<string, ScoreCounts>>();
  for (const [day, cells] of counts.days) {
    const start = bucketStart(day, interval);
    const bucket = buckets.get(start) ?? buckets.set(start, new Map()).get(start)!;
    for (const [key, scores] of cells) {
      addCounts(total.get(key) ?? total.set(key, new Map()).get(key)!, scores);
      addCounts(bucket.get(key) ?? bucket.set(key, new Map()).get(key)!, scores);
    }
  }
  const answered = new Map([...total].map(([key, scores]) => [key, [...scores.values()].reduce((a, b) => a + b, 0)]));
  const weights = cellWeights(counts.properties, counts.invited, answered);
  const weightOf = weights ? weightIn(weights) : null;
  const scoreOf = (cells: Map<string, ScoreCounts>): WeightedScore => {
    const unweighted = weightedFigures(metric, cells, () => 1);
    const f = weightOf ? weightedFigures(metric, cells, weightOf) : { score: null, moe95: null, n: unweighted.n, n_eff: null };
    return { ...f, ...bandOf(metric, f.score, f.moe95), too_small: f.n_eff === null || f.n_eff < min };
  };
  const unweighted = weightedFigures(metric, total, () => 1);
  const overall: WeightedOverall = {
    ...scoreOf(total),
    weight_by: counts.properties,
    invitations: counts.invited.reduce((a, c) => a + c.invitations, 0),
    responses: counts.invited.reduce((a, c) => a + c.responses, 0),
    cells: weights?.cells ?? [],
    pooled: weights?.pooled ?? null,
    unweighted: { score: unweighted.score, moe95: unweighted.moe95 },
    left_out: counts.withoutInvitation,
  };
  return { overall, bucket: (start: string) => scoreOf(buckets.get(start) ?? new Map()) };
}

/** Every figure of one survey in a period: the pages format it, the API serves it as it is. */
export async function surveyReport(db: Knex, scope: ReportScope): Promise<SurveyReport> {
  const { survey, min, interval } = scope;
  const metric = survey.metric;
  const answers = scope.answers ?? null;
  const [{ current, before }, sends, events, segments, heldTimes, channels, weightCounts] = await Promise.all([
    periodDays(db, scope),
    sendDays(db, scope),
    scope.funnel ? funnelEvents(db, scope) : Promise.resolve(null),
    scope.segment ? segmentCounts(db, survey.id, scope.segment, scope.period, scope.reportingTz, scope.where, answers) : Promise.resolve(null),
    heldAnswerTimes(db, survey.id, scope.period, scope.where, answers),
    scope.byChannel ? channelCounts(db, survey.id, scope.period, scope.where, answers) : Promise.resolve(null),
    weightingCounts(db, scope),
  ]);
  const weighted = weightCounts ? weighting(metric, min, interval, weightCounts) : null;
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
    const bucket: ReportBucket = { start, ...figures, held: heldBuckets.get(start) ?? 0, ...bandOf(metric, figures.score, figures.moe95), ...rateOf(s?.sent ?? 0, s?.responded ?? 0) };
    if (weighted) bucket.weighted = weighted.bucket(start);
    return bucket;
  });

  const distribution: Record<string, number> = {};
  for (let s = scales[metric].min; s <= scales[metric].max; s++) distribution[String(s)] = all.get(s) ?? 0;

  const report: SurveyReport = {
    overall: { ...overall, held: heldTimes.length, ...bandOf(metric, overall.score, overall.moe95), ...(weighted ? { weighted: weighted.overall } : {}) },
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
