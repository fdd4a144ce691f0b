import type { Knex } from 'knex';
import { propertyValueText, toCount } from '../db/dialect.ts';
import type { ScoreCounts } from './compute.ts';
import type { PropertyFilter } from './property-filter.ts';
import type { AnswerFilter } from './sources.ts';
import { getSettings } from '../settings/service.ts';
import { quarterBounds, type Period, type QuarterHours } from './range.ts';
import { addDays, dateOfDayNumber, localMidnight } from '../dates.ts';

const addTo = (map: Map<string, ScoreCounts>, key: string, score: number, count: number) => {
  const counts = map.get(key) ?? map.set(key, new Map()).get(key)!;
  counts.set(score, (counts.get(score) ?? 0) + count);
};

const inDays = (q: Knex.QueryBuilder, period: Period) => {
  if (period.fromDay) q.where('day', '>=', period.fromDay);
  if (period.toDay) q.where('day', '<=', period.toDay);
  return q;
};

/** From the daily rollup (local days in the reporting time zone): day → score → count. */
export async function rollupDayCounts(db: Knex, surveyId: number, period: Period): Promise<Map<string, ScoreCounts>> {
  const rows: { day: string; score: number; count: number }[] = await inDays(db('response_daily').where({ survey_id: surveyId }).select('day', 'score', 'count'), period);
  const days = new Map<string, ScoreCounts>();
  for (const r of rows) if (toCount(r.count) > 0) addTo(days, r.day, Number(r.score), toCount(r.count));
  return days;
}

/** Rows whose quarter-hour `column` lies in [from, until). */
const inQuarters = (q: Knex.QueryBuilder, quarters: { from: number; until: number }, column = 'quarter') =>
  q.where(column, '>=', quarters.from).where(column, '<', quarters.until);

/**
 * SQL for the local day number (days since 1970-01-01) of the quarter-hour in `column`, under the zone's
 * offsets: one CASE branch per clock change. The numbers are integers from offsetSpans, written into the
 * statement (checked), so PostgreSQL reads the sum as an integer and divides as one.
 */
function localDayNumber(column: string, spans: QuarterHours['spans']): string {
  for (const s of spans) if (!Number.isInteger(s.from) || !Number.isInteger(s.offset)) throw new Error('offset spans must be whole numbers');
  const last = spans[spans.length - 1].offset;
  const offset = spans.length === 1 ? String(last) : `CASE ${spans.slice(1).map((s, i) => `WHEN ${column} < ${s.from} THEN ${spans[i].offset}`).join(' ')} ELSE ${last} END`;
  return `(${column} * 15 + ${offset}) / 1440`;
}

/**
 * Score counts per local day (in the zone of `quarters.spans`) of the survey's responses in the
 * quarter-hours [from, until), summed in the database from the quarter-hour rollup: a few rows a day,
 * however many responses.
 */
export async function quarterDayCounts(db: Knex, surveyId: number, quarters: QuarterHours): Promise<Map<string, ScoreCounts>> {
  const rows: { day_number: unknown; score: number; count: unknown }[] = await inQuarters(db('response_quarter_hours').where({ survey_id: surveyId }), quarters)
    .select({ day_number: db.raw(localDayNumber('quarter', quarters.spans)), score: 'score' })
    .sum({ count: 'count' })
    .groupBy('day_number', 'score');
  const days = new Map<string, ScoreCounts>();
  for (const r of rows) if (toCount(r.count) > 0) addTo(days, dateOfDayNumber(Number(r.day_number)), Number(r.score), toCount(r.count));
  return days;
}

/** Invitations of the survey sent in the quarter-hours [from, until) and how many were answered, per local day of sending, from the quarter-hour rollup. */
export async function quarterSendDays(db: Knex, surveyId: number, quarters: QuarterHours): Promise<Map<string, { sent: number; responded: number }>> {
  const rows: { day_number: unknown; sent: unknown; responded: unknown }[] = await inQuarters(db('invitation_quarter_hours').where({ survey_id: surveyId }), quarters)
    .select({ day_number: db.raw(localDayNumber('quarter', quarters.spans)) })
    .sum({ sent: 'sent', responded: 'responded' })
    .groupBy('day_number');
  return new Map(rows.map((r) => [dateOfDayNumber(Number(r.day_number)), { sent: toCount(r.sent), responded: toCount(r.responded) }]));
}

/** A table of property values: one row per answer, sent invitation or event and property value, keyed (scope, name, value, quarter, id). */
interface ValuesTable {
  table: 'response_values' | 'invitation_values' | 'event_values';
  /** The survey's or the touchpoint's column. */
  scope: 'survey_id' | 'touchpoint_id';
  /** The answer's, invitation's or event's column. */
  id: 'response_id' | 'invitation_id' | 'event_id';
}
const responseValues: ValuesTable = { table: 'response_values', scope: 'survey_id', id: 'response_id' };
const invitationValues: ValuesTable = { table: 'invitation_values', scope: 'survey_id', id: 'invitation_id' };
const eventValues: ValuesTable = { table: 'event_values', scope: 'touchpoint_id', id: 'event_id' };

/**
 * Rows of a values table, aliased `anchor`, of one survey or touchpoint in the quarter-hours [from, until)
 * whose answer, invitation or event matches every filter: each filter one lookup of the same one's row
 * for that property (the key ends in quarter-hour and id), so the answers, invitations and events
 * themselves are never read.
 */
function valuesMatching(
  db: Knex,
  t: ValuesTable,
  anchor: string,
  scopeId: number,
  quarters: { from: number; until: number },
  where: PropertyFilter[],
): Knex.QueryBuilder {
  const q = inQuarters(db({ [anchor]: t.table }).where(`${anchor}.${t.scope}`, scopeId), quarters, `${anchor}.quarter`);
  where.forEach((f, i) => {
    const v = `f${i}`;
    q.whereExists((sub) =>
      sub
        .select(db.raw('1'))
        .from({ [v]: t.table })
        .where(`${v}.${t.scope}`, scopeId)
        .where(`${v}.name`, f.name)
        .whereIn(`${v}.value`, f.values)
        .whereRaw(`${v}.quarter = ${anchor}.quarter`)
        .whereRaw(`${v}.${t.id} = ${anchor}.${t.id}`),
    );
  });
  return q;
}

/** The rows of the first filter's property, aliased v, each checked against the other filters. */
function firstFilterMatching(db: Knex, t: ValuesTable, scopeId: number, quarters: { from: number; until: number }, where: PropertyFilter[]): Knex.QueryBuilder {
  const [first, ...rest] = where;
  return valuesMatching(db, t, 'v', scopeId, quarters, rest).where('v.name', first.name).whereIn('v.value', first.values);
}

/**
 * Invitations of the survey sent in the quarter-hours that match every filter (at least one), and how many
 * were answered, per local day of sending, from invitation_values.
 */
export async function filteredQuarterSendDays(db: Knex, surveyId: number, where: PropertyFilter[], quarters: QuarterHours): Promise<Map<string, { sent: number; responded: number }>> {
  const rows: { day_number: unknown; sent: unknown; responded: unknown }[] = await firstFilterMatching(db, invitationValues, surveyId, quarters, where)
    .select({ day_number: db.raw(localDayNumber('v.quarter', quarters.spans)) })
    .count({ sent: '*' })
    .sum({ responded: 'v.responded' })
    .groupBy('day_number');
  return new Map(rows.map((r) => [dateOfDayNumber(Number(r.day_number)), { sent: toCount(r.sent), responded: toCount(r.responded) }]));
}

/** Events received on the touchpoint in the quarter-hours that match every filter (at least one), from event_values. */
export async function filteredEventCount(db: Knex, touchpointId: number, where: PropertyFilter[], quarters: { from: number; until: number }): Promise<number> {
  const [row] = await firstFilterMatching(db, eventValues, touchpointId, quarters, where).count({ n: '*' });
  return toCount(row?.n);
}

/**
 * Score counts per local day (in the zone of `quarters.spans`) of the survey's responses that match every
 * filter (at least one), from response_values: the first filter's rows, each checked against the others.
 */
export async function filteredQuarterDayCounts(db: Knex, surveyId: number, where: PropertyFilter[], quarters: QuarterHours): Promise<Map<string, ScoreCounts>> {
  const rows: { day_number: unknown; score: number; count: unknown }[] = await firstFilterMatching(db, responseValues, surveyId, quarters, where)
    .select({ day_number: db.raw(localDayNumber('v.quarter', quarters.spans)), score: 'v.score' })
    .count({ count: '*' })
    .groupBy('day_number', 'v.score');
  const days = new Map<string, ScoreCounts>();
  for (const r of rows) addTo(days, dateOfDayNumber(Number(r.day_number)), Number(r.score), toCount(r.count));
  return days;
}

/**
 * Property value → score → count of the survey's responses in the quarter-hours that match every filter,
 * from response_values; those without the property under '(none)'. Under filters: the first filter's
 * rows, checked against the others, each with its value of `property` looked up by answer; without: the
 * property's rows, and the rest of the quarter-hour rollup's count as '(none)'.
 */
async function quarterSegmentCounts(db: Knex, surveyId: number, property: string, quarters: { from: number; until: number }, where: PropertyFilter[]): Promise<Map<string, ScoreCounts>> {
  const segments = new Map<string, ScoreCounts>();
  if (where.length) {
    const rows: { value: string | null; score: number; count: unknown }[] = await firstFilterMatching(db, responseValues, surveyId, quarters, where)
      .leftJoin({ s: 'response_values' }, (on) => on.on('s.response_id', 'v.response_id').andOn('s.name', db.raw('?', [property])))
      .select({ value: 's.value', score: 'v.score' })
      .count({ count: '*' })
      .groupBy('s.value', 'v.score');
    for (const r of rows) addTo(segments, r.value ?? '(none)', Number(r.score), toCount(r.count));
    return segments;
  }
  const [rows, totals] = (await Promise.all([
    valuesMatching(db, responseValues, 's', surveyId, quarters, []).where('s.name', property).select({ value: 's.value', score: 's.score' }).count({ count: '*' }).groupBy('s.value', 's.score'),
    inQuarters(db('response_quarter_hours').where({ survey_id: surveyId }), quarters)
      .select('score')
      .sum({ count: 'count' })
      .groupBy('score'),
  ])) as unknown as [{ value: string; score: number; count: unknown }[], { score: number; count: unknown }[]];
  const none = new Map<number, number>(totals.map((t) => [Number(t.score), toCount(t.count)]));
  for (const r of rows) {
    const count = toCount(r.count);
    addTo(segments, String(r.value), Number(r.score), count);
    none.set(Number(r.score), (none.get(Number(r.score)) ?? 0) - count);
  }
  for (const [score, count] of none) if (count > 0) addTo(segments, '(none)', score, count);
  return segments;
}

/**
 * Day counts of the responses whose property `filter.name` is one of its values, from the segment rollup
 * (local days of the reporting time zone: the period must be whole days there).
 */
export async function rollupFilteredDayCounts(db: Knex, surveyId: number, filter: PropertyFilter, period: Period): Promise<Map<string, ScoreCounts>> {
  const rows: { day: string; score: number; count: unknown }[] = await inDays(
    db('response_segment_daily').where({ survey_id: surveyId, name: filter.name }).whereIn('value', filter.values),
    period,
  )
    .select('day', 'score')
    .sum({ count: 'count' })
    .groupBy('day', 'score');
  const days = new Map<string, ScoreCounts>();
  for (const r of rows) if (toCount(r.count) > 0) addTo(days, r.day, Number(r.score), toCount(r.count));
  return days;
}

/** Only the rows whose JSON `column` matches every filter (one of the values of each property). */
export function matchingProperties(db: Knex, q: Knex.QueryBuilder, column: string, where: PropertyFilter[]): Knex.QueryBuilder {
  for (const f of where) {
    q.whereRaw(`? in (${f.values.map(() => '?').join(', ')})`, [propertyValueText(db, column, f.name), ...f.values]);
  }
  return q;
}

/** Rows whose instant `column` lies in the period (from inclusive, until exclusive). */
export const inPeriodAt = (q: Knex.QueryBuilder, column: string, period: Period) => {
  if (period.fromIso) q.where(column, '>=', period.fromIso);
  if (period.untilIso) q.where(column, '<', period.untilIso);
  return q;
};
const inPeriod = (q: Knex.QueryBuilder, period: Period) => inPeriodAt(q, 'answered_at', period);

/** Only the rows (of `table`, when joined) of the filter's sources and channels; null: all. */
function ofAnswers(q: Knex.QueryBuilder, answers: AnswerFilter | null, table?: string): Knex.QueryBuilder {
  const column = (name: string) => (table ? `${table}.${name}` : name);
  if (answers?.sources) q.whereIn(column('source'), answers.sources);
  if (answers?.channels) q.whereIn(column('channel'), answers.channels);
  return q;
}

/** When each held answer of the survey matching `where` was given (held answers are few: they settle within minutes). */
export async function heldAnswerTimes(db: Knex, surveyId: number, period: Period, where: PropertyFilter[], answers: AnswerFilter | null): Promise<string[]> {
  const q = ofAnswers(inPeriod(db('answers').where({ survey_id: surveyId, state: 'held' }).select('answered_at'), period), answers);
  const rows = (await matchingProperties(db, q, 'properties', where)) as unknown as { answered_at: string }[];
  return rows.map((r) => r.answered_at);
}

/**
 * From the responses matching `where`: how many gave each score, per UTC hour (`chars` 13) or minute (16)
 * of answering ('YYYY-MM-DDTHH' → score → count), read from the (survey_id, answered_at, score) index
 * when nothing is filtered.
 */
export async function responseCountsBy(
  db: Knex,
  surveyId: number,
  period: Period,
  where: PropertyFilter[],
  chars: 13 | 16,
  answers: AnswerFilter | null = null,
): Promise<{ at: string; score: number; count: number }[]> {
  const q = ofAnswers(inPeriod(
    db('responses')
      .where({ survey_id: surveyId })
      .select({ answered_prefix: db.raw('substr(answered_at, 1, ?)', [chars]), score: 'score' })
      .count({ count: '*' })
      .groupBy('answered_prefix', 'score'),
    period,
  ), answers);
  const rows = (await matchingProperties(db, q, 'properties', where)) as unknown as { answered_prefix: string; score: unknown; count: unknown }[];
  return rows.map((r) => ({ at: r.answered_prefix, score: Number(r.score), count: toCount(r.count) }));
}

/** Property value → score → count, from the responses (any period, any zone); without the property: '(none)'. */
export async function rawSegmentCounts(
  db: Knex,
  surveyId: number,
  property: string,
  period: Period,
  where: PropertyFilter[] = [],
  answers: AnswerFilter | null = null,
): Promise<Map<string, ScoreCounts>> {
  // Grouped by the output name: PostgreSQL would see the expression's two bindings as different expressions.
  const rows: { segment_value: unknown; score: number; count: unknown }[] = await matchingProperties(
    db,
    ofAnswers(inPeriod(
      db('responses')
        .where({ survey_id: surveyId })
        .select({ segment_value: propertyValueText(db, 'properties', property), score: 'score' })
        .count({ count: '*' })
        .groupBy('segment_value', 'score'),
      period,
    ), answers),
    'properties',
    where,
  );
  const segments = new Map<string, ScoreCounts>();
  for (const r of rows) {
    const value = r.segment_value === null || r.segment_value === undefined ? '(none)' : String(r.segment_value);
    addTo(segments, value, Number(r.score), toCount(r.count));
  }
  return segments;
}

/** Channel (email, web, link, import) → score → count of the survey's responses in the period matching `where` and the answer filter. */
export async function channelCounts(db: Knex, surveyId: number, period: Period, where: PropertyFilter[], answers: AnswerFilter | null): Promise<Map<string, ScoreCounts>> {
  const q = ofAnswers(inPeriod(db('responses').where({ survey_id: surveyId }).select('channel', 'score').count({ count: '*' }).groupBy('channel', 'score'), period), answers);
  const rows = (await matchingProperties(db, q, 'properties', where)) as unknown as { channel: string; score: number; count: unknown }[];
  const channels = new Map<string, ScoreCounts>();
  for (const r of rows) addTo(channels, String(r.channel), Number(r.score), toCount(r.count));
  return channels;
}

/**
 * Property value → score → count from the segment rollup (local days of the reporting time zone, so the
 * period must be whole days there). Responses without the property are the daily rollup's count less the
 * segment rollup's: '(none)'.
 */
export async function rollupSegmentCounts(db: Knex, surveyId: number, property: string, period: Period): Promise<Map<string, ScoreCounts>> {
  const [rows, totals]: [{ value: string; score: number; count: unknown }[], { score: number; count: unknown }[]] = await Promise.all([
    inDays(db('response_segment_daily').where({ survey_id: surveyId, name: property }), period)
      .select('value', 'score')
      .sum({ count: 'count' })
      .groupBy('value', 'score'),
    inDays(db('response_daily').where({ survey_id: surveyId }), period).select('score').sum({ count: 'count' }).groupBy('score'),
  ]);
  const segments = new Map<string, ScoreCounts>();
  const none = new Map<number, number>(totals.map((t) => [Number(t.score), toCount(t.count)]));
  for (const r of rows) {
    const count = toCount(r.count);
    if (count <= 0) continue;
    addTo(segments, String(r.value), Number(r.score), count);
    none.set(Number(r.score), (none.get(Number(r.score)) ?? 0) - count);
  }
  for (const [score, count] of none) if (count > 0) addTo(segments, '(none)', score, count);
  return segments;
}

/** Whether the period's bounds are midnights of local days in `tz` (so rollups kept in `tz` answer it). */
export function wholeDaysIn(period: Period, tz: string): boolean {
  if (!period.byDay) return false;
  if (period.fromDay && period.fromIso !== localMidnight(period.fromDay, tz).toISOString()) return false;
  if (period.toDay && period.untilIso !== localMidnight(addDays(period.toDay, 1), tz).toISOString()) return false;
  return true;
}

/**
 * Property value → score → count; responses without the property count under '(none)'. From the segment
 * rollup when the period is whole days of the reporting time zone (`reportingTz`, else read from the
 * settings) and nothing is filtered, from response_values when the period is whole quarter-hours, else
 * from the responses.
 */
export async function segmentCounts(
  db: Knex,
  surveyId: number,
  property: string,
  period: Period,
  reportingTz?: string,
  where: PropertyFilter[] = [],
  answers: AnswerFilter | null = null,
): Promise<Map<string, ScoreCounts>> {
  const zone = reportingTz ?? (await getSettings(db)).reporting_time_zone;
  if (answers !== null) return rawSegmentCounts(db, surveyId, property, period, where, answers);
  if (where.length === 0 && wholeDaysIn(period, zone)) return rollupSegmentCounts(db, surveyId, property, period);
  const quarters = quarterBounds(period);
  return quarters ? quarterSegmentCounts(db, surveyId, property, quarters, where) : rawSegmentCounts(db, surveyId, property, period, where, answers);
}

/**
 * Invitations sent and answered per local day of sending (reporting time zone) from the send rollups:
 * all of the survey's, or those whose event has one of `filter`'s values. The period must be whole days.
 */
export async function rollupSendDays(db: Knex, surveyId: number, period: Period, filter: PropertyFilter | null): Promise<Map<string, { sent: number; responded: number }>> {
  const q = filter
    ? inDays(db('invitation_segment_daily').where({ survey_id: surveyId, name: filter.name }).whereIn('value', filter.values), period)
        .select('day')
        .sum({ sent: 'sent', responded: 'responded' })
        .groupBy('day')
    : inDays(db('invitation_daily').where({ survey_id: surveyId }), period).select('day', 'sent', 'responded');
  const rows = (await q) as unknown as { day: string; sent: unknown; responded: unknown }[];
  return new Map(rows.map((r) => [r.day, { sent: toCount(r.sent), responded: toCount(r.responded) }]));
}

/**
 * Invitations of the survey sent in the period whose event matches `where`, and how many of them were
 * answered, per UTC hour (`chars` 13) or minute (16) of sending: 'YYYY-MM-DDTHH' → counts.
 */
export async function sentAndAnsweredBy(
  db: Knex,
  surveyId: number,
  period: Period,
  where: PropertyFilter[],
  chars: 13 | 16,
  /** Only invitations of these channels (email, web); null: all. */
  channels: readonly string[] | null = null,
): Promise<{ at: string; sent: number; answered: number }[]> {
  // Answered: the invitation's responded_at, set with its first answer (the (survey_id, sent_at, responded_at) index holds both).
  const q = db('invitations')
    .where('invitations.survey_id', surveyId)
    .whereNotNull('invitations.sent_at')
    .select({ sent_at_prefix: db.raw('substr(invitations.sent_at, 1, ?)', [chars]) })
    .count({ sent: '*' })
    .count({ answered: 'invitations.responded_at' })
    .groupBy('sent_at_prefix');
  inPeriodAt(q, 'invitations.sent_at', period);
  if (channels) q.whereIn('invitations.channel', channels);
  if (where.length) matchingProperties(db, q.join('events', 'events.id', 'invitations.event_id'), 'events.properties', where);
  const rows = (await q) as unknown as { sent_at_prefix: string; sent: unknown; answered: unknown }[];
  return rows.map((r) => ({ at: r.sent_at_prefix, sent: toCount(r.sent), answered: toCount(r.answered) }));
}

/** Events received on the touchpoint in the period whose property has one of `filter`'s values, from the rollup (whole local days of the reporting time zone). */
export async function rollupEventCount(db: Knex, touchpointId: number, period: Period, filter: PropertyFilter): Promise<number> {
  const [row] = await inDays(db('event_segment_daily').where({ touchpoint_id: touchpointId, name: filter.name }).whereIn('value', filter.values), period).sum({ n: 'count' });
  return toCount(row?.n);
}

/** Events received on the touchpoint in the period whose properties match `where`. */
export async function eventCount(db: Knex, touchpointId: number, period: Period, where: PropertyFilter[]): Promise<number> {
  const q = inPeriodAt(db('events').where({ touchpoint_id: touchpointId }).count({ n: '*' }), 'received_at', period);
  const [row] = await matchingProperties(db, q, 'properties', where);
  return toCount(row?.n);
}

export interface ListedResponseRow {
  id: number;
  survey: string;
  score: number;
  comment: string | null;
  channel: string;
  source: string;
  locale: string | null;
  answered_at: string;
  properties: string;
}

/** A page of responses in id order after `afterId` (keyset pagination). */
export function responsesAfter(
  db: Knex,
  filter: { surveyId: number | null; period: Period; afterId: number; limit: number; where?: PropertyFilter[]; answers?: AnswerFilter | null },
): Promise<ListedResponseRow[]> {
  const q = db('responses')
    .join('surveys', 'surveys.id', 'responses.survey_id')
    .select(
      'responses.id',
      'surveys.key as survey',
      'responses.score',
      'responses.comment',
      'responses.channel',
      'responses.source',
      'responses.locale',
      'responses.answered_at',
      'responses.properties',
    )
    .where('responses.id', '>', filter.afterId)
    .orderBy('responses.id')
    .limit(filter.limit);
  if (filter.surveyId !== null) q.where('responses.survey_id', filter.surveyId);
  if (filter.period.fromIso) q.where('responses.answered_at', '>=', filter.period.fromIso);
  if (filter.period.untilIso) q.where('responses.answered_at', '<', filter.period.untilIso);
  ofAnswers(q, filter.answers ?? null, 'responses');
  return matchingProperties(db, q, 'responses.properties', filter.where ?? []);
}
