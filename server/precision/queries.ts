import type { Knex } from 'knex';
import { DAY } from '../clock.ts';
import { toCount } from '../db/dialect.ts';
import { toDbTime } from '../db/time.ts';
import { quarterHourOf } from '../dates.ts';
import type { ScoreCounts } from '../metrics/compute.ts';

/**
 * What a precision target's rate is worked out from (precision/rate.ts, RateBasis), read per segment value
 * ('' for the survey as a whole) from the events, the invitations and the quarter-hour rollups: a handful
 * of grouped statements, once a day per survey.
 */

/** How far back the volume is read, and the response rate and spread. */
export const VOLUME_DAYS = 28;
export const HISTORY_DAYS = 90;
/** Invitations younger than this are left out of the response rate (their answers are still coming)… */
const ANSWER_LAG_DAYS = 3;
/** …and count as open while unanswered, as scheduled and waiting ones do. */
const OPEN_DAYS = 7;

/** The reasons decided after the sample: an event refused by one of them reached the sampling step. */
const afterSample = ['sampled_out', 'cooldown_global', 'cooldown_survey', 'cap_window'];
const heldBack = ['cooldown_global', 'cooldown_survey', 'cap_window'];

export interface SurveyRef {
  id: number;
  touchpoint_id: number;
}

/** Per segment value: a builder grouped by the value of `segment` (joined on `eventColumn`), or by '' without one. */
function bySegment(db: Knex, q: Knex.QueryBuilder, eventColumn: string, segment: string | null): Knex.QueryBuilder {
  if (!segment) return q.select(db.raw("'' as value"));
  return q
    .join('event_values as sv', (on) => on.on('sv.event_id', '=', eventColumn).andOn('sv.name', '=', db.raw('?', [segment])))
    .select('sv.value as value')
    .groupBy('sv.value');
}

export interface Volume {
  reached: number;
  scheduled: number;
  held: number;
}

/** Events of the last VOLUME_DAYS that reached the sampling step; of those sampled in, how many were scheduled and how many held back. */
export async function eventVolume(db: Knex, survey: SurveyRef, segment: string | null, now: Date): Promise<Map<string, Volume>> {
  const q = db('events as e')
    .where('e.touchpoint_id', survey.touchpoint_id)
    .where('e.survey_id', survey.id)
    .where('e.received_at', '>=', toDbTime(new Date(now.getTime() - VOLUME_DAYS * DAY)))
    .whereNot('e.source', 'test')
    .where((w) => w.where('e.decision', 'scheduled').orWhereIn('e.reason', afterSample))
    .count({ reached: '*' })
    .select(
      db.raw("sum(case when e.decision = 'scheduled' then 1 else 0 end) as scheduled"),
      db.raw(`sum(case when e.reason in (${heldBack.map(() => '?').join(', ')}) then 1 else 0 end) as held`, heldBack),
    );
  const rows: { value: string; reached: unknown; scheduled: unknown; held: unknown }[] = await bySegment(db, q, 'e.id', segment);
  return new Map(rows.filter((r) => toCount(r.reached) > 0).map((r) => [r.value, { reached: toCount(r.reached), scheduled: toCount(r.scheduled), held: toCount(r.held) }]));
}

/** Invitations sent between HISTORY_DAYS and ANSWER_LAG_DAYS ago, and how many were answered (the send rollups). */
export async function sentAndAnswered(db: Knex, survey: SurveyRef, segment: string | null, now: Date): Promise<Map<string, { sent: number; responded: number }>> {
  const from = quarterHourOf(new Date(now.getTime() - HISTORY_DAYS * DAY));
  const until = quarterHourOf(new Date(now.getTime() - ANSWER_LAG_DAYS * DAY));
  const rows: { value: string; sent: unknown; responded: unknown }[] = segment
    ? await db('invitation_values')
        .where({ survey_id: survey.id, name: segment })
        .where('quarter', '>=', from)
        .where('quarter', '<', until)
        .select('value')
        .count({ sent: '*' })
        .sum({ responded: 'responded' })
        .groupBy('value')
    : await db('invitation_quarter_hours')
        .where({ survey_id: survey.id })
        .where('quarter', '>=', from)
        .where('quarter', '<', until)
        .select(db.raw("'' as value"))
        .sum({ sent: 'sent', responded: 'responded' });
  return new Map(rows.filter((r) => toCount(r.sent) > 0).map((r) => [r.value, { sent: toCount(r.sent), responded: toCount(r.responded) }]));
}

/** Score counts of the responses answered since `since` (the response rollups), per segment value. */
export async function scoresSince(db: Knex, survey: SurveyRef, segment: string | null, since: Date): Promise<Map<string, ScoreCounts>> {
  const from = quarterHourOf(since);
  const rows: { value: string; score: unknown; count: unknown }[] = segment
    ? await db('response_values').where({ survey_id: survey.id, name: segment }).where('quarter', '>=', from).select('value', 'score').count({ count: '*' }).groupBy('value', 'score')
    : await db('response_quarter_hours').where({ survey_id: survey.id }).where('quarter', '>=', from).select(db.raw("'' as value"), 'score').sum({ count: 'count' }).groupBy('score');
  const out = new Map<string, ScoreCounts>();
  for (const r of rows) {
    const counts = out.get(r.value) ?? out.set(r.value, new Map()).get(r.value)!;
    counts.set(Number(r.score), (counts.get(Number(r.score)) ?? 0) + toCount(r.count));
  }
  return out;
}

/**
 * Invitations made since `since` that may still be answered: scheduled or waiting for the widget, shown, or
 * sent in the last OPEN_DAYS and not answered.
 */
export async function openInvitations(db: Knex, survey: SurveyRef, segment: string | null, since: Date, now: Date): Promise<Map<string, number>> {
  const recent = toDbTime(new Date(Math.max(since.getTime(), now.getTime() - OPEN_DAYS * DAY)));
  const q = db('invitations as i')
    .where('i.survey_id', survey.id)
    .where('i.is_test', false)
    .whereNull('i.responded_at')
    .where('i.created_at', '>=', toDbTime(since))
    .where((w) => w.whereIn('i.state', ['scheduled', 'sending', 'waiting', 'shown']).orWhere((sent) => sent.where('i.state', 'sent').where('i.sent_at', '>=', recent)))
    .count({ open: '*' });
  const rows: { value: string; open: unknown }[] = await bySegment(db, q, 'i.event_id', segment);
  return new Map(rows.filter((r) => toCount(r.open) > 0).map((r) => [r.value, toCount(r.open)]));
}

/** A stored rate: for one survey and segment value ('' the survey as a whole). */
export interface SampleRateRow {
  survey_id: number;
  segment: string;
  computed_for: string;
  period_start: string;
  rate: number;
  state: string;
  /** JSON: the basis, the plan and the target it was worked out for. */
  basis: string;
  computed_at: string;
}

export async function findSampleRates(db: Knex, surveyId: number): Promise<SampleRateRow[]> {
  const rows: SampleRateRow[] = await db('sample_rates').where({ survey_id: surveyId }).orderBy('segment');
  return rows.map((r) => ({ ...r, rate: Number(r.rate) }));
}

/** The survey's rates replaced by `rows` (inside the caller's transaction). */
export async function replaceSampleRates(trx: Knex, surveyId: number, rows: SampleRateRow[]): Promise<void> {
  await trx('sample_rates').where({ survey_id: surveyId }).delete();
  for (let i = 0; i < rows.length; i += 100) await trx('sample_rates').insert(rows.slice(i, i + 100));
}
