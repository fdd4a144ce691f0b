import type { Knex } from 'knex';
import { localDate } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { segmentPairs } from './segments.ts';

/**
 * Events received per touchpoint, event property value and local day (reporting time zone): the funnel's
 * first step under a property filter, kept as events arrive. Unfiltered, the funnel counts the events
 * themselves through the (touchpoint_id, received_at) index.
 */

export interface EventSegmentRow {
  touchpoint_id: number;
  name: string;
  day: string;
  value: string;
  count: number;
}

/**
 * Adds `delta` to the count of every pair of one event, in one statement (an event has at most 50
 * properties; 180 rows stay under SQLite's 999 bound parameters). The names of one event's pairs differ, so
 * no row is hit twice in a statement (PostgreSQL refuses that).
 */
async function bump(trx: Knex, touchpointId: number, day: string, pairs: [string, string][], delta: number): Promise<void> {
  for (let i = 0; i < pairs.length; i += 180) {
    await trx('event_segment_daily')
      .insert(pairs.slice(i, i + 180).map(([name, value]) => ({ touchpoint_id: touchpointId, name, day, value, count: delta })))
      .onConflict(['touchpoint_id', 'name', 'day', 'value'])
      .merge({ count: trx.raw('event_segment_daily.count + excluded.count') });
  }
}

/** Counts an event just stored (in the transaction that stored it). */
export async function countEvent(trx: Knex, event: { touchpoint_id: number; received_at: string; properties: string }, reportingTimeZone: string): Promise<void> {
  await bump(trx, event.touchpoint_id, localDate(new Date(event.received_at), reportingTimeZone), segmentPairs(event.properties), 1);
}

/** Takes a customer's events out of the counts, for erasure: call it before their properties are emptied. */
export async function uncountCustomerEvents(trx: Knex.Transaction, customerId: number): Promise<void> {
  const rows: { touchpoint_id: number; received_at: string; properties: string }[] = await trx('events')
    .where({ customer_id: customerId })
    .select('touchpoint_id', 'received_at', 'properties');
  if (rows.length === 0) return;
  const tz = (await getSettings(trx)).reporting_time_zone;
  for (const r of rows) await bump(trx, Number(r.touchpoint_id), localDate(new Date(r.received_at), tz), segmentPairs(r.properties), -1);
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
