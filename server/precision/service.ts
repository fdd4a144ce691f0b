import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { bumpVersion, cached, deepFreeze } from '../db/versioned-cache.ts';
import { localDate, localMidnight } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { listSurveys } from '../surveys/queries.ts';
import type { PrecisionTarget, Survey } from '../surveys/model.ts';
import { segmentValue } from '../rollups/segments.ts';
import type { PrecisionInForce } from '../eligibility/model.ts';
import type { ScoreCounts } from '../metrics/compute.ts';
import { periodAt, planRate, spreadOf, type PeriodSpan, type RateBasis, type RatePlan, type RateState } from './rate.ts';
import { eventVolume, findSampleRates, HISTORY_DAYS, openInvitations, replaceSampleRates, scoresSince, sentAndAnswered, VOLUME_DAYS, type SampleRateRow } from './queries.ts';

/**
 * Precision targets in force (issue 17): each survey with a target has, per segment value ('' for the
 * survey as a whole), a sample rate worked out for today (precision/rate.ts) from what the last weeks
 * show (precision/queries.ts), stored in sample_rates with its basis. The worker works the rates out once
 * a day; an event that finds them missing or from another day (or for another target) works them out
 * first. The decision reads them from the process's cache, as it reads the survey.
 */

/** At most this many segment values get a rate of their own (the busiest); the rest learn at the survey's rate. */
const MAX_SEGMENTS = 50;

/** One stored rate with what it was worked out from. */
export interface RateInForce {
  segment: string;
  rate: number;
  state: RateState;
  basis: RateBasis;
  plan: RatePlan;
  period: PeriodSpan;
  target: PrecisionTarget;
  /** The survey's sample_rate when it was worked out: the most it may ask. */
  ceiling: number;
  computedFor: string;
  computedAt: string;
}

const rateOf = (row: SampleRateRow): RateInForce => {
  const stored = JSON.parse(row.basis) as Omit<RateInForce, 'segment' | 'rate' | 'state' | 'computedFor' | 'computedAt'>;
  return { ...stored, segment: row.segment, rate: row.rate, state: row.state as RateState, computedFor: row.computed_for, computedAt: row.computed_at };
};

/** Every segment's basis for the survey at `now` (the period's answers counted from `periodFrom`). */
export async function readBases(db: Knex, survey: Survey, target: PrecisionTarget, now: Date, periodFrom: Date): Promise<Map<string, RateBasis>> {
  const read = async (segment: string | null) => {
    const [volume, sends, recent, soFar, open] = await Promise.all([
      eventVolume(db, survey, segment, now),
      sentAndAnswered(db, survey, segment, now),
      scoresSince(db, survey, segment, new Date(now.getTime() - HISTORY_DAYS * DAY)),
      scoresSince(db, survey, segment, periodFrom),
      openInvitations(db, survey, segment, periodFrom, now),
    ]);
    return { volume, sends, recent, soFar, open };
  };
  const whole = await read(null);
  const parts = target.segment ? await read(target.segment) : null;
  const values = parts
    ? [...parts.volume.entries()]
        .sort((a, b) => b[1].reached - a[1].reached)
        .slice(0, MAX_SEGMENTS)
        .map(([value]) => value)
    : [];
  const bases = new Map<string, RateBasis>();
  for (const [value, from] of [['', whole] as const, ...values.map((v) => [v, parts!] as const)]) {
    const volume = from.volume.get(value) ?? { reached: 0, scheduled: 0, held: 0 };
    const sends = from.sends.get(value) ?? { sent: 0, responded: 0 };
    const spread = spreadOf(survey.metric, from.recent.get(value) ?? new Map());
    const sampledIn = volume.scheduled + volume.held;
    bases.set(value, {
      eventsPerDay: volume.reached / VOLUME_DAYS,
      passRate: sampledIn > 0 ? volume.scheduled / sampledIn : 1,
      responseRate: sends.sent > 0 ? sends.responded / sends.sent : 0,
      invitationsSeen: sends.sent,
      spread: spread.spread,
      responsesSeen: spread.from,
      responsesSoFar: countOf(from.soFar.get(value)),
      openInvitations: from.open.get(value) ?? 0,
    });
  }
  return bases;
}

const countOf = (counts: ScoreCounts | undefined): number => [...(counts?.values() ?? [])].reduce((a, b) => a + b, 0);

/** Works out and stores today's rates of a survey with a precision target; returns them. */
async function refreshSampleRates(deps: Pick<Deps, 'db' | 'clock'>, survey: Survey): Promise<RateInForce[]> {
  const target = survey.precision_target;
  if (!target) return [];
  const { db } = deps;
  const now = deps.clock.now();
  const tz = (await getSettings(db)).reporting_time_zone;
  const period = periodAt(target.period, now, tz);
  const bases = await readBases(db, survey, target, now, localMidnight(period.start, tz));
  const computedFor = localDate(now, tz);
  const computedAt = toDbTime(now);
  const rows: SampleRateRow[] = [...bases.entries()].map(([segment, basis]) => {
    const plan = planRate(basis, period, target.margin, survey.sample_rate);
    return {
      survey_id: survey.id,
      segment,
      computed_for: computedFor,
      period_start: period.start,
      rate: plan.rate,
      state: plan.state,
      basis: JSON.stringify({ basis, plan, period, target, ceiling: survey.sample_rate }),
      computed_at: computedAt,
    };
  });
  await writeTransaction(db, async (trx) => {
    await bumpVersion(trx, 'surveys');
    await replaceSampleRates(trx, survey.id, rows);
  });
  return rows.map(rateOf);
}

/** The stored rates of a survey (from the process's cache). */
const storedRates = (db: Knex, surveyId: number): Promise<readonly RateInForce[]> =>
  cached(db, 'surveys', async () => deepFreeze((await findSampleRates(db, surveyId)).map(rateOf)), { key: `rates:${surveyId}` });

/** Whether stored rates are today's, and for the survey's present target and ceiling. */
const current = (rates: readonly RateInForce[], survey: Survey, today: string): boolean =>
  rates.length > 0 &&
  rates.every((r) => r.computedFor === today && r.ceiling === survey.sample_rate && JSON.stringify(r.target) === JSON.stringify(survey.precision_target));

// A survey's rates being worked out in this process: the events that need them meanwhile wait for the same work.
const refreshing = new Map<number, Promise<RateInForce[]>>();

/** The survey's rates for today: as stored, else worked out now. Empty for a survey without a target. */
export async function ratesFor(deps: Pick<Deps, 'db' | 'clock'>, survey: Survey): Promise<readonly RateInForce[]> {
  if (!survey.precision_target) return [];
  const tz = (await getSettings(deps.db)).reporting_time_zone;
  const stored = await storedRates(deps.db, survey.id);
  if (current(stored, survey, localDate(deps.clock.now(), tz))) return stored;
  let work = refreshing.get(survey.id);
  if (!work) {
    work = refreshSampleRates(deps, survey).finally(() => refreshing.delete(survey.id));
    refreshing.set(survey.id, work);
  }
  return work;
}

/** The target's margin as the decision names it. */
export const marginText = (survey: Pick<Survey, 'metric'>, margin: number): string => `±${margin}${survey.metric === 'csat' ? ' %' : ''}`;

/**
 * The rate in force for an event of the survey: its segment value's, else (a value without a rate of its
 * own: new, or too rare) the survey's own rate while the target learns it; without a segment, the survey's.
 */
export function inForceFor(survey: Survey, rates: readonly RateInForce[], properties: Record<string, unknown> | undefined): PrecisionInForce | undefined {
  const target = survey.precision_target;
  if (!target) return undefined;
  const value = target.segment ? segmentValue(properties?.[target.segment]) : '';
  const found = value === null ? undefined : rates.find((r) => r.segment === value);
  const whole = rates.find((r) => r.segment === '');
  const period = (found ?? whole)?.period.label ?? '';
  const base = { margin: marginText(survey, target.margin), period };
  const segment = target.segment ? { segment: { name: target.segment, value: value ?? '(none)' } } : {};
  if (found) return { rate: found.rate, state: found.state, ...base, ...segment };
  return { rate: survey.sample_rate, state: 'learning', ...base, ...segment };
}

/** The worker's daily pass: every active survey with a target whose rates are not today's gets them worked out. */
export async function refreshDueSampleRates(deps: Pick<Deps, 'db' | 'clock'>): Promise<void> {
  for (const survey of await listSurveys(deps.db)) {
    if (survey.status === 'active' && survey.precision_target) await ratesFor(deps, survey);
  }
}
