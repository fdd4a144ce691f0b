import { addDays, localDate } from '../dates.ts';
import { sampleBucket } from '../eligibility/rules.ts';
import type { PrecisionInForce } from '../eligibility/model.ts';
import { segmentPairs } from '../rollups/segments.ts';
import type { PrecisionTarget, Survey } from '../surveys/model.ts';
import { marginOf, periodEnd, periodLabel, periodOf, periodStart, planRate, type RateBasis, type RatePlan } from './rate.ts';
import { VOLUME_DAYS } from './queries.ts';
import { marginText } from './service.ts';

/**
 * A precision target replayed over past days (issue 17, point 2: the rule simulation). The rate of each day
 * is worked out as the worker would have: the volume from the 28 days before it, the response rate and
 * spread as they stand now (the best reading the window gives), and the period's answers so far from the replay itself (its
 * own invitations × the response rate: the replay cannot know who would have answered). The customer
 * replay (simulation/service.ts) then decides each event with the rate of its day and segment, and this
 * tally says per period and segment what the target would have sent and the margin it would have reached.
 */

/** An event of the target's touchpoint, as the day-by-day rates need it. */
export interface TargetEvent {
  received_at: string;
  transaction_id: string;
  properties: string | null;
  /** Whether it reached the sampling step (scheduled, or refused by the sample or a later rule). */
  reached: boolean;
}

type TargetSurvey = Pick<Survey, 'key' | 'metric' | 'sample_rate'> & { precision_target: PrecisionTarget };

/** The segment value of an event's properties under the target ('' without a segment; null: the event has none). */
function segmentOf(target: PrecisionTarget, properties: string | Record<string, unknown> | null): string | null {
  if (!target.segment) return '';
  return segmentPairs(properties).find(([name]) => name === target.segment)?.[1] ?? null;
}

/** The rates a target would have set each day from `from` to `to`: a lookup for each replayed event. */
export function replayTargetRates(opts: {
  survey: TargetSurvey;
  /** The touchpoint's events from VOLUME_DAYS before `from` to `to`. */
  events: readonly TargetEvent[];
  /** Response rate and spread per segment as they stand now (precision/service.ts readBases). */
  bases: ReadonlyMap<string, RateBasis>;
  from: Date;
  to: Date;
  timeZone: string;
}): { inForce(receivedAt: string, properties: string | null): PrecisionInForce; plans: Map<string, RatePlan> } {
  const { survey, bases, timeZone } = opts;
  const target = survey.precision_target;
  const key = (day: string, segment: string) => `${day}\n${segment}`;
  // Per day and segment: the events that reached the sampling step, with their sample buckets.
  const reached = new Map<string, number[]>();
  const volume = new Map<string, number>();
  for (const event of opts.events) {
    if (!event.reached) continue;
    const segment = segmentOf(target, event.properties);
    if (segment === null) continue;
    const day = localDate(new Date(event.received_at), timeZone);
    const k = key(day, segment);
    (reached.get(k) ?? reached.set(k, []).get(k)!).push(sampleBucket(survey.key, event.transaction_id));
    volume.set(segment, (volume.get(segment) ?? 0) + 1);
  }
  // The segments with a rate of their own: those the bases know, busiest first (as the worker keeps them).
  const segments = target.segment ? [...bases.keys()].filter((s) => s !== '') : [''];
  const plans = new Map<string, RatePlan>();
  const soFar = new Map<string, number>();
  let periodOfDay = '';
  const first = localDate(opts.from, timeZone);
  const last = localDate(opts.to, timeZone);
  for (let day = first; day <= last; day = addDays(day, 1)) {
    const span = periodOf(target.period, day);
    if (span.start !== periodOfDay) {
      periodOfDay = span.start;
      soFar.clear();
    }
    for (const segment of segments) {
      const basis = bases.get(segment)!;
      let recent = 0;
      for (let back = 1; back <= VOLUME_DAYS; back++) recent += reached.get(key(addDays(day, -back), segment))?.length ?? 0;
      const plan = planRate({ ...basis, eventsPerDay: recent / VOLUME_DAYS, responsesSoFar: soFar.get(segment) ?? 0, openInvitations: 0 }, span, target.margin, survey.sample_rate);
      plans.set(key(day, segment), plan);
      // The day's invitations as the rate and the cooldowns would let them through, and the answers they bring.
      const sampled = (reached.get(key(day, segment)) ?? []).filter((bucket) => bucket < plan.rate).length;
      soFar.set(segment, (soFar.get(segment) ?? 0) + sampled * basis.passRate * basis.responseRate);
    }
  }
  const margin = marginText(survey, target.margin);
  return {
    plans,
    inForce(receivedAt, properties) {
      const day = localDate(new Date(receivedAt), timeZone);
      const period = periodLabel(target.period, periodStart(target.period, day));
      const segment = segmentOf(target, properties);
      const named = target.segment ? { segment: { name: target.segment, value: segment ?? '(none)' } } : {};
      const plan = segment === null ? undefined : plans.get(key(day, segment));
      if (!plan) return { rate: survey.sample_rate, state: 'learning', margin, period, ...named };
      return { rate: plan.rate, state: plan.state, margin, period, ...named };
    },
  };
}

/** What the target would have done in one period and segment, beside what happened. */
export interface TargetPeriodRow {
  /** The period's label ("February 2027") and first local day. */
  period: string;
  start: string;
  segment: string;
  actualInvitations: number;
  simulatedInvitations: number;
  /** The simulated invitations × the segment's response rate, and the margin they give. */
  expectedResponses: number;
  expectedMargin: number | null;
  met: boolean;
  /** The rate the target set on the period's first and last day in the window (front-loading shows as first > last). */
  firstRate: number | null;
  lastRate: number | null;
}

/** The replay's invitations of the target survey, counted per period and segment (actual and simulated). */
export class TargetTally {
  private rows = new Map<string, TargetPeriodRow>();
  private actualCustomers = new Set<number>();
  private simulatedCustomers = new Set<number>();
  private readonly survey: TargetSurvey;
  private readonly bases: ReadonlyMap<string, RateBasis>;
  private readonly timeZone: string;

  constructor(survey: TargetSurvey, bases: ReadonlyMap<string, RateBasis>, timeZone: string) {
    this.survey = survey;
    this.bases = bases;
    this.timeZone = timeZone;
  }

  add(event: { customer_id: number; received_at: string; properties: string | null }, actual: boolean, simulated: boolean): void {
    const target = this.survey.precision_target;
    const segment = segmentOf(target, event.properties) ?? '(none)';
    const start = periodStart(target.period, localDate(new Date(event.received_at), this.timeZone));
    const k = `${start}\n${segment}`;
    let row = this.rows.get(k);
    if (!row) {
      row = { period: start, start, segment, actualInvitations: 0, simulatedInvitations: 0, expectedResponses: 0, expectedMargin: null, met: false, firstRate: null, lastRate: null };
      this.rows.set(k, row);
    }
    if (actual) {
      row.actualInvitations++;
      this.actualCustomers.add(event.customer_id);
    }
    if (simulated) {
      row.simulatedInvitations++;
      this.simulatedCustomers.add(event.customer_id);
    }
  }

  /**
   * Per period (oldest first) and segment, with the rates of `plans` (replayTargetRates) on its first and last
   * day; and the invitations and customers the target spares compared with what happened.
   */
  summary(plans: ReadonlyMap<string, RatePlan>) {
    const target = this.survey.precision_target;
    const rows = [...this.rows.values()].sort((a, b) => a.period.localeCompare(b.period) || a.segment.localeCompare(b.segment));
    const days = [...plans.keys()].map((k) => k.split('\n')).sort((a, b) => a[0].localeCompare(b[0]));
    for (const row of rows) {
      const end = periodEnd(target.period, row.period);
      const inPeriod = days.filter(([day, segment]) => day >= row.period && day < end && segment === (target.segment ? row.segment : ''));
      if (inPeriod.length) {
        row.firstRate = plans.get(inPeriod[0].join('\n'))!.rate;
        row.lastRate = plans.get(inPeriod[inPeriod.length - 1].join('\n'))!.rate;
      }
      const basis = this.bases.get(target.segment ? row.segment : '') ?? this.bases.get('');
      row.expectedResponses = Math.round(row.simulatedInvitations * (basis?.responseRate ?? 0) * 10) / 10;
      row.expectedMargin = basis ? marginOf(basis.spread, row.expectedResponses) : null;
      row.met = row.expectedMargin !== null && row.expectedMargin <= target.margin;
      row.period = periodLabel(target.period, row.period);
    }
    const sum = (pick: (r: TargetPeriodRow) => number) => rows.reduce((total, r) => total + pick(r), 0);
    return {
      target,
      periods: rows,
      spared: {
        invitations: sum((r) => r.actualInvitations) - sum((r) => r.simulatedInvitations),
        customers: this.actualCustomers.size - this.simulatedCustomers.size,
      },
    };
  }
}
