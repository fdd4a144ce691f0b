import type { Knex } from 'knex';
import { propertyValueText, toCount } from '../db/dialect.ts';
import type { ScoreCounts } from './compute.ts';
import { inLocalDays } from './local-days.ts';
import type { PropertyFilter } from './property-filter.ts';
import { inPeriodAt, matchingProperties } from './queries.ts';
import type { Period } from './range.ts';
import type { AnswerFilter } from './sources.ts';
import { cellKey, type CellCount } from './weighting.ts';

/**
 * What reweighting for non-response reads (weighting.ts has the arithmetic): per cell of the chosen event
 * properties, the invitations sent in the period and how many got a settled response, and the period's
 * answers that came through an invitation, by score. A cell's values are read from the invitation's event
 * (events.properties) the way the segment rollup writes them (propertyValueText, rollups/segments.ts), an
 * event without the property under '(none)', as the segments show it. Test invitations (the first-run
 * checklist's) are left out. Both run on SQLite and PostgreSQL.
 */

const NONE = '(none)';

/** Select aliases of the cell's values: cell_0, cell_1 … (grouped by these names: PostgreSQL sees each expression's bindings as its own). */
const cellColumns = (db: Knex, properties: string[]) => Object.fromEntries(properties.map((p, i) => [`cell_${i}`, propertyValueText(db, 'events.properties', p)]));
const cellAliases = (properties: string[]) => properties.map((_, i) => `cell_${i}`);
const valuesOfRow = (row: Record<string, unknown>, properties: string[]) =>
  properties.map((_, i) => {
    const v = row[`cell_${i}`];
    return v === null || v === undefined ? NONE : String(v);
  });

/**
 * Invitations of the survey sent in the period (sent_at: emailed, or shown by the widget; later states
 * too) whose event matches `where`, per cell, and how many of them were answered (responded_at: set when
 * the first answer settles, so held answers do not count). Through the (survey_id, sent_at) index.
 */
export async function invitationsByCell(
  db: Knex,
  surveyId: number,
  period: Period,
  where: PropertyFilter[],
  properties: string[],
  /** Only invitations of these channels (email, web); null: all. */
  channels: readonly string[] | null,
  /** At most this many cells are read (one more than a caller allows tells it there are too many). */
  limit: number,
): Promise<CellCount[]> {
  const q = db('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .where('invitations.survey_id', surveyId)
    .whereNotNull('invitations.sent_at')
    .where('invitations.is_test', false)
    .select(cellColumns(db, properties))
    .count({ invitations: '*' })
    .count({ responses: 'invitations.responded_at' })
    .groupBy(cellAliases(properties))
    .limit(limit);
  inPeriodAt(q, 'invitations.sent_at', period);
  if (channels) q.whereIn('invitations.channel', channels);
  matchingProperties(db, q, 'events.properties', where);
  const rows = (await q) as unknown as Record<string, unknown>[];
  return rows.map((r) => ({ values: valuesOfRow(r, properties), invitations: toCount(r.invitations), responses: toCount(r.responses) }));
}

/** Only the responses of the answer filter's sources and channels (null: all). */
function ofAnswers(q: Knex.QueryBuilder, answers: AnswerFilter | null): Knex.QueryBuilder {
  if (answers?.sources) q.whereIn('responses.source', answers.sources);
  if (answers?.channels) q.whereIn('responses.channel', answers.channels);
  return q;
}

/** The responses a figure counts: the survey's, answered in the period, matching `where` and the answer filter. */
function countedResponses(db: Knex, surveyId: number, period: Period, where: PropertyFilter[], answers: AnswerFilter | null): Knex.QueryBuilder {
  const q = db('responses').where('responses.survey_id', surveyId);
  inPeriodAt(q, 'responses.answered_at', period);
  return matchingProperties(db, ofAnswers(q, answers), 'responses.properties', where);
}

/** Answers through an invitation, per local day (in `tz`) → cell key → score → count. */
export type CellDayCounts = Map<string, Map<string, ScoreCounts>>;

/**
 * The answers a figure counts (answered in the period, matching `where` and the answer filter) that came
 * through an invitation, per local day in `tz`, cell of the invitation's event and score; and how many of
 * the counted answers came without one (web links, imports), which reweighting leaves out.
 */
export async function answersByCell(
  db: Knex,
  surveyId: number,
  period: Period,
  where: PropertyFilter[],
  properties: string[],
  answers: AnswerFilter | null,
  tz: string,
): Promise<{ days: CellDayCounts; withoutInvitation: number }> {
  const fetch = async (chars: 13 | 16) => {
    const q = countedResponses(db, surveyId, period, where, answers)
      .join('invitations', 'invitations.id', 'responses.invitation_id')
      .join('events', 'events.id', 'invitations.event_id')
      .where('invitations.is_test', false)
      .select({ answered_prefix: db.raw('substr(responses.answered_at, 1, ?)', [chars]), ...cellColumns(db, properties), score: 'responses.score' })
      .count({ count: '*' })
      .groupBy(['answered_prefix', ...cellAliases(properties), 'responses.score']);
    const rows = (await q) as unknown as Record<string, unknown>[];
    return rows.map((r) => ({ at: String(r.answered_prefix), key: cellKey(valuesOfRow(r, properties)), score: Number(r.score), count: toCount(r.count) }));
  };
  const [located, [left]] = await Promise.all([
    inLocalDays(tz, fetch),
    countedResponses(db, surveyId, period, where, answers).whereNull('responses.invitation_id').count({ n: '*' }) as unknown as Promise<{ n: unknown }[]>,
  ]);
  const days: CellDayCounts = new Map();
  for (const { day, row } of located) {
    const cells = days.get(day) ?? days.set(day, new Map()).get(day)!;
    const counts = cells.get(row.key) ?? cells.set(row.key, new Map()).get(row.key)!;
    counts.set(row.score, (counts.get(row.score) ?? 0) + row.count);
  }
  return { days, withoutInvitation: toCount(left?.n) };
}
