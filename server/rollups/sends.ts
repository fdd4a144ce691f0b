import type { Knex } from 'knex';
import { localDate, quarterHourOf } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { segmentPairs, valueRowsOf } from './segments.ts';
import type { Statements } from '../db/statements.ts';

/**
 * Response rates by the day invitations were sent, kept as they happen (DESIGN: per-day aggregates):
 * invitation_daily holds survey × local day of sending (reporting time zone) → sent, responded, and
 * invitation_segment_daily the same per property value of the invitation's event, and
 * invitation_quarter_hours survey × UTC quarter-hour of sending (trends in any other zone); invitation_values
 * holds one row per sent invitation and property value of its event (filters on several properties). An invitation counts
 * as sent when the worker marks it sent, and as responded when its first answer sets its responded_at.
 */

export interface SendDayRow {
  survey_id: number;
  day: string;
  sent: number;
  responded: number;
}
export interface SendQuarterRow {
  survey_id: number;
  quarter: number;
  sent: number;
  responded: number;
}
export interface SendSegmentRow extends SendDayRow {
  name: string;
  value: string;
}

/**
 * Adds to the day's counts and to those of each property value of the invitation, in one statement each
 * (an event has at most 50 properties; the names of one invitation's pairs differ, so no row is hit twice
 * in a statement, which PostgreSQL refuses).
 */
async function bump(trx: Knex, surveyId: number, sentAt: string, reportingTimeZone: string, pairs: [string, string][], sent: number, responded: number, daily = true): Promise<void> {
  // (invitation_values is written by countSent, which knows the invitation; countResponded counts an answer itself.)
  const add = (table: string) => ({ sent: trx.raw(`${table}.sent + excluded.sent`), responded: trx.raw(`${table}.responded + excluded.responded`) });
  const day = localDate(new Date(sentAt), reportingTimeZone);
  if (daily) {
    await trx('invitation_daily').insert({ survey_id: surveyId, day, sent, responded }).onConflict(['survey_id', 'day']).merge(add('invitation_daily'));
    await trx('invitation_quarter_hours')
      .insert({ survey_id: surveyId, quarter: quarterHourOf(sentAt), sent, responded })
      .onConflict(['survey_id', 'quarter'])
      .merge(add('invitation_quarter_hours'));
  }
  if (pairs.length === 0) return;
  await trx('invitation_segment_daily')
    .insert(pairs.map(([name, value]) => ({ survey_id: surveyId, name, day, value, sent, responded })))
    .onConflict(['survey_id', 'name', 'day', 'value'])
    .merge(add('invitation_segment_daily'));
}

export interface Sent {
  survey_id: number;
  sent_at: string | null;
  properties: string;
}

const sentInvitation = (trx: Knex, invitationId: number): Promise<Sent | undefined> =>
  trx('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .where('invitations.id', invitationId)
    .first('invitations.survey_id', 'invitations.sent_at', 'events.properties');

/** Counts an invitation just marked sent and writes its property values (in the transaction that marked it). */
export async function countSent(trx: Knex, invitationId: number, reportingTimeZone: string): Promise<void> {
  const inv = await sentInvitation(trx, invitationId);
  if (!inv?.sent_at) return;
  await bump(trx, Number(inv.survey_id), inv.sent_at, reportingTimeZone, segmentPairs(inv.properties), 1, 0);
  const values = invitationValueRows({ ...inv, id: invitationId, responded: false, sent_at: inv.sent_at });
  // Rows already there (a send recorded twice) are kept as they are.
  if (values.length) await trx('invitation_values').insert(values).onConflict(['survey_id', 'name', 'value', 'quarter', 'invitation_id']).ignore();
}

/**
 * Answered invitations counted on the day they were sent, and their property values marked answered,
 * gathered in a transaction and written together before it commits (nothing reads them in between): one
 * statement per table, the counts of one row summed, rows in key order (as ResponseCounts).
 */
export class RespondedCounts {
  private readonly daily = new Map<string, { survey_id: number; day: string; responded: number }>();
  private readonly quarters = new Map<string, { survey_id: number; quarter: number; responded: number }>();
  private readonly segments = new Map<string, { survey_id: number; name: string; day: string; value: string; responded: number }>();
  private invitationIds: number[] = [];

  /** An invitation sent at `sent.sent_at` has its first answer. */
  add(invitationId: number, sent: Sent & { sent_at: string }, reportingTimeZone: string): void {
    const survey_id = Number(sent.survey_id);
    const day = localDate(new Date(sent.sent_at), reportingTimeZone);
    const quarter = quarterHourOf(sent.sent_at);
    const dk = JSON.stringify([survey_id, day]);
    (this.daily.get(dk) ?? this.daily.set(dk, { survey_id, day, responded: 0 }).get(dk)!).responded++;
    const qk = JSON.stringify([survey_id, quarter]);
    (this.quarters.get(qk) ?? this.quarters.set(qk, { survey_id, quarter, responded: 0 }).get(qk)!).responded++;
    for (const [name, value] of segmentPairs(sent.properties)) {
      const sk = JSON.stringify([survey_id, name, day, value]);
      (this.segments.get(sk) ?? this.segments.set(sk, { survey_id, name, day, value, responded: 0 }).get(sk)!).responded++;
    }
    this.invitationIds.push(invitationId);
  }

  /** Writes what was counted (and forgets it). */
  async write(sql: Statements): Promise<void> {
    const inOrder = <R>(rows: Map<string, R>) => [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    const daily = inOrder(this.daily);
    const quarters = inOrder(this.quarters);
    const segments = inOrder(this.segments);
    const invitationIds = this.invitationIds.sort((a, b) => a - b);
    this.daily.clear();
    this.quarters.clear();
    this.segments.clear();
    this.invitationIds = [];
    for (let i = 0; i < daily.length; i += ROWS_PER_STATEMENT) {
      const slice = daily.slice(i, i + ROWS_PER_STATEMENT);
      await sql.run(
        `INSERT INTO invitation_daily (survey_id, day, sent, responded) VALUES ${slice.map(() => '(?, ?, 0, ?)').join(', ')}
         ON CONFLICT (survey_id, day) DO UPDATE SET sent = invitation_daily.sent + excluded.sent, responded = invitation_daily.responded + excluded.responded`,
        slice.flatMap((r) => [r.survey_id, r.day, r.responded]),
      );
    }
    for (let i = 0; i < quarters.length; i += ROWS_PER_STATEMENT) {
      const slice = quarters.slice(i, i + ROWS_PER_STATEMENT);
      await sql.run(
        `INSERT INTO invitation_quarter_hours (survey_id, quarter, sent, responded) VALUES ${slice.map(() => '(?, ?, 0, ?)').join(', ')}
         ON CONFLICT (survey_id, quarter) DO UPDATE SET sent = invitation_quarter_hours.sent + excluded.sent, responded = invitation_quarter_hours.responded + excluded.responded`,
        slice.flatMap((r) => [r.survey_id, r.quarter, r.responded]),
      );
    }
    for (let i = 0; i < segments.length; i += ROWS_PER_STATEMENT) {
      const slice = segments.slice(i, i + ROWS_PER_STATEMENT);
      await sql.run(
        `INSERT INTO invitation_segment_daily (survey_id, name, day, value, sent, responded) VALUES ${slice.map(() => '(?, ?, ?, ?, 0, ?)').join(', ')}
         ON CONFLICT (survey_id, name, day, value) DO UPDATE SET sent = invitation_segment_daily.sent + excluded.sent, responded = invitation_segment_daily.responded + excluded.responded`,
        slice.flatMap((r) => [r.survey_id, r.name, r.day, r.value, r.responded]),
      );
    }
    for (let i = 0; i < invitationIds.length; i += ROWS_PER_STATEMENT) {
      const slice = invitationIds.slice(i, i + ROWS_PER_STATEMENT);
      await sql.run(`UPDATE invitation_values SET responded = 1 WHERE invitation_id IN (${slice.map(() => '?').join(', ')})`, slice);
    }
  }
}

/** Rows of one rollup upsert at most (6 values each: well under either database's bound parameters). */
const ROWS_PER_STATEMENT = 500;

/**
 * Counts an invitation's first answer on the day it was sent and marks its property values answered (now,
 * or into `counts`, which the caller writes before the transaction commits), in the transaction that marks
 * it responded (its prepared statements); `known`: its survey, sending time and event properties when the
 * caller has them (saves a read).
 */
export async function countResponded(sql: Statements, invitationId: number, reportingTimeZone: string, known?: Sent, counts?: RespondedCounts): Promise<void> {
  const inv =
    known ??
    (
      await sql.rows<Sent>(
        'SELECT invitations.survey_id, invitations.sent_at, events.properties FROM invitations JOIN events ON events.id = invitations.event_id WHERE invitations.id = ?',
        [invitationId],
      )
    )[0];
  if (!inv?.sent_at) return;
  const sent = { ...inv, sent_at: inv.sent_at };
  if (counts) counts.add(invitationId, sent, reportingTimeZone);
  else {
    const now = new RespondedCounts();
    now.add(invitationId, sent, reportingTimeZone);
    await now.write(sql);
  }
}

/**
 * Takes a customer's invitations out of the segment counts, for erasure: call it in the erasing transaction
 * before their events' properties are emptied (the daily counts stay, as they do for responses).
 */
export async function uncountCustomerSends(trx: Knex.Transaction, customerId: number): Promise<void> {
  const rows: { survey_id: number; sent_at: string; properties: string; answered: unknown }[] = await trx('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .where('invitations.customer_id', customerId)
    .whereNotNull('invitations.sent_at')
    .select('invitations.survey_id', 'invitations.sent_at', 'events.properties', { answered: 'invitations.responded_at' });
  if (rows.length === 0) return;
  const tz = (await getSettings(trx)).reporting_time_zone;
  for (const r of rows) {
    await bump(trx, Number(r.survey_id), r.sent_at, tz, segmentPairs(r.properties), -1, r.answered ? -1 : 0, false);
  }
  await trx('invitation_values').whereIn('invitation_id', trx('invitations').where({ customer_id: customerId }).select('id')).del();
}

/** The invitation_values rows of a sent invitation (countSent; bulk loaders: the demo). */
export const invitationValueRows = (inv: { id: number; survey_id: number; sent_at: string; properties: string | Record<string, unknown> | null; responded: boolean }) =>
  valueRowsOf({ survey_id: Number(inv.survey_id), invitation_id: Number(inv.id), responded: inv.responded ? 1 : 0 }, inv.properties, inv.sent_at);

/** The rows of both send rollups for a set of sent invitations (bulk loaders: the demo, rebuilds). */
export function sendRollupRowsOf(
  invitations: Iterable<{ survey_id: number; sent_at: string; properties: string | Record<string, unknown> | null; responded: boolean }>,
  reportingTimeZone: string,
): { daily: SendDayRow[]; quarters: SendQuarterRow[]; segments: SendSegmentRow[] } {
  const daily = new Map<string, SendDayRow>();
  const quarters = new Map<number, SendQuarterRow>();
  const segments = new Map<string, SendSegmentRow>();
  for (const inv of invitations) {
    const survey_id = Number(inv.survey_id);
    const day = localDate(new Date(inv.sent_at), reportingTimeZone);
    const responded = inv.responded ? 1 : 0;
    const key = `${survey_id}|${day}`;
    const d = daily.get(key) ?? daily.set(key, { survey_id, day, sent: 0, responded: 0 }).get(key)!;
    d.sent++;
    d.responded += responded;
    const quarter = quarterHourOf(inv.sent_at);
    const qk = survey_id * 1e10 + quarter;
    const q = quarters.get(qk) ?? quarters.set(qk, { survey_id, quarter, sent: 0, responded: 0 }).get(qk)!;
    q.sent++;
    q.responded += responded;
    for (const [name, value] of segmentPairs(inv.properties)) {
      const k = JSON.stringify([survey_id, name, day, value]);
      const s = segments.get(k) ?? segments.set(k, { survey_id, name, day, value, sent: 0, responded: 0 }).get(k)!;
      s.sent++;
      s.responded += responded;
    }
  }
  return { daily: [...daily.values()], quarters: [...quarters.values()], segments: [...segments.values()] };
}

/** Writes rollup rows in chunks that stay under SQLite's 999 bound parameters. */
export async function insertSendRollups(trx: Knex, rows: { daily: SendDayRow[]; quarters: SendQuarterRow[]; segments: SendSegmentRow[] }): Promise<void> {
  for (let i = 0; i < rows.daily.length; i += 200) await trx('invitation_daily').insert(rows.daily.slice(i, i + 200));
  for (let i = 0; i < rows.quarters.length; i += 200) await trx('invitation_quarter_hours').insert(rows.quarters.slice(i, i + 200));
  for (let i = 0; i < rows.segments.length; i += 150) await trx('invitation_segment_daily').insert(rows.segments.slice(i, i + 150));
}

/** Recounts both send rollups from the invitations, e.g. after the reporting time zone changed. */
export async function rebuildSendRollups(trx: Knex, reportingTimeZone: string): Promise<void> {
  await trx('invitation_daily').del();
  await trx('invitation_quarter_hours').del();
  await trx('invitation_segment_daily').del();
  const rows: { survey_id: number; sent_at: string; properties: string; answered: unknown }[] = await trx('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .whereNotNull('invitations.sent_at')
    .select('invitations.survey_id', 'invitations.sent_at', 'events.properties', { answered: 'invitations.responded_at' });
  await insertSendRollups(trx, sendRollupRowsOf(rows.map((r) => ({ ...r, responded: r.answered !== null && r.answered !== undefined })), reportingTimeZone));
}
