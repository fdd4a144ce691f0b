import type { Knex } from 'knex';
import { localDate } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { segmentPairs, valueRowsOf } from './segments.ts';
import { statementsOf, type Statements } from '../db/statements.ts';

/**
 * Events received per touchpoint, event property value and local day (reporting time zone): the funnel's
 * first step under a property filter, kept as events arrive. Unfiltered, the funnel counts the events
 * themselves through the (touchpoint_id, received_at) index. Under filters on several properties (or
 * another zone) it intersects event_values: one row per event and property value, with the UTC
 * quarter-hour it arrived in.
 */

export interface EventSegmentRow {
  touchpoint_id: number;
  name: string;
  day: string;
  value: string;
  count: number;
}

/** Rows of one rollup upsert: 500 rows of 5 values stay well under either database's bound parameters. */
const ROWS_PER_STATEMENT = 500;

/**
 * Adds each row's count to the rollup, in one statement per ROWS_PER_STATEMENT rows. The rows' keys
 * (touchpoint, name, day, value) differ, so no row is hit twice in a statement (PostgreSQL refuses that).
 */
async function bump(sql: Statements, rows: readonly EventSegmentRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const slice = rows.slice(i, i + ROWS_PER_STATEMENT);
    await sql.run(
      `INSERT INTO event_segment_daily (touchpoint_id, name, day, value, count) VALUES ${slice.map(() => '(?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (touchpoint_id, name, day, value) DO UPDATE SET count = event_segment_daily.count + excluded.count`,
      slice.flatMap((r) => [r.touchpoint_id, r.name, r.day, r.value, r.count]),
    );
  }
}

/** An event just stored, as the rollup and event_values need it. */
export interface StoredEvent {
  id: number;
  touchpoint_id: number;
  received_at: string;
  properties: string;
}

/** Counts events just stored and writes their property values (in the transaction that stored them). */
export async function countEvents(sql: Statements, events: readonly StoredEvent[], reportingTimeZone: string): Promise<void> {
  await bump(sql, eventRollupRowsOf(events, reportingTimeZone));
  const values = eventValueRowsOf(events);
  for (let i = 0; i < values.length; i += ROWS_PER_STATEMENT) {
    const slice = values.slice(i, i + ROWS_PER_STATEMENT);
    await sql.run(
      `INSERT INTO event_values (touchpoint_id, name, value, quarter, event_id) VALUES ${slice.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
      slice.flatMap((r) => [r.touchpoint_id, r.name, r.value, r.quarter, r.event_id]),
    );
  }
}

/** The event_values rows of stored events (countEvents; bulk loaders: the demo). */
export const eventValueRowsOf = (events: readonly StoredEvent[]) =>
  events.flatMap((e) => valueRowsOf({ touchpoint_id: Number(e.touchpoint_id), event_id: Number(e.id) }, e.properties, e.received_at));

/** Takes a customer's events out of the counts, for erasure: call it before their properties are emptied. */
export async function uncountCustomerEvents(trx: Knex.Transaction, customerId: number): Promise<void> {
  const rows: { touchpoint_id: number; received_at: string; properties: string }[] = await trx('events')
    .where({ customer_id: customerId })
    .select('touchpoint_id', 'received_at', 'properties');
  if (rows.length === 0) return;
  const tz = (await getSettings(trx)).reporting_time_zone;
  await bump(await statementsOf(trx), eventRollupRowsOf(rows, tz).map((r) => ({ ...r, count: -r.count })));
  await trx('event_values').whereIn('event_id', trx('events').where({ customer_id: customerId }).select('id')).del();
}

/** The rollup rows of a set of events (bulk loaders: the demo, rebuilds). */
export function eventRollupRowsOf(events: Iterable<{ touchpoint_id: number; received_at: string; properties: string }>, reportingTimeZone: string): EventSegmentRow[] {
  const rows = new Map<string, EventSegmentRow>();
  for (const e of events) {
    const touchpoint_id = Number(e.touchpoint_id);
    const day = localDate(new Date(e.received_at), reportingTimeZone);
    for (const [name, value] of segmentPairs(e.properties)) {
      const key = JSON.stringify([touchpoint_id, name, day, value]);
      (rows.get(key) ?? rows.set(key, { touchpoint_id, name, day, value, count: 0 }).get(key)!).count++;
    }
  }
  return [...rows.values()];
}

/** Writes rollup rows in chunks under SQLite's 999 bound parameters. */
export async function insertEventRollup(trx: Knex, rows: EventSegmentRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 180) await trx('event_segment_daily').insert(rows.slice(i, i + 180));
}


/** Recounts the rollup from the events, e.g. after the reporting time zone changed. */
export async function rebuildEventRollup(trx: Knex, reportingTimeZone: string): Promise<void> {
  await trx('event_segment_daily').del();
  const events: { touchpoint_id: number; received_at: string; properties: string }[] = await trx('events').select('touchpoint_id', 'received_at', 'properties');
  await insertEventRollup(trx, eventRollupRowsOf(events, reportingTimeZone));
}
