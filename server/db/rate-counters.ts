import type { Knex } from 'knex';
import { toDbTime } from './time.ts';

/**
 * Fixed-window counters kept in the database (`rate_counters`), so a limit holds across every process
 * that shares it. A key names what is counted (an address, an account, a link); the window starts at a
 * multiple of its length.
 *
 * The same table also keeps holds: "this key is held until T" (see holdKey). A hold is a row whose
 * window_start is the instant the hold ends, so the housekeeping that forgets old windows forgets ended
 * holds too.
 */

/** When the window of length `windowMs` around `now` starts and ends. */
function windowAround(windowMs: number, now: Date): { start: Date; end: Date } {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  return { start: new Date(start), end: new Date(start + windowMs) };
}

/** Counts one more hit of `key` in the window around `now` and returns the count so far in that window. */
export async function countHit(db: Knex, key: string, windowMs: number, now: Date): Promise<number> {
  const windowStart = toDbTime(windowAround(windowMs, now).start);
  const [row] = await db('rate_counters')
    .insert({ key, window_start: windowStart, count: 1 })
    .onConflict(['key', 'window_start'])
    .merge({ count: db.raw('rate_counters.count + 1') })
    .returning('count');
  return Number(typeof row === 'object' ? row.count : row);
}

/** Counts one hit in each window and says whether every limit still holds (the hit is counted either way). */
export async function withinLimits(db: Knex, key: string, limits: { windowMs: number; max: number }[], now: Date): Promise<boolean> {
  let ok = true;
  for (const { windowMs, max } of limits) {
    if ((await countHit(db, `${key}:${windowMs}`, windowMs, now)) > max) ok = false;
  }
  return ok;
}

/** Holds `key` until `until` (a later hold wins; an earlier one never shortens it). */
export async function holdKey(db: Knex, key: string, until: Date): Promise<void> {
  await db('rate_counters').insert({ key, window_start: toDbTime(until), count: 1 }).onConflict(['key', 'window_start']).ignore();
}

/** When the latest hold on `key` ends, or null when none is in force at `now`. */
export async function heldUntil(db: Knex, key: string, now: Date): Promise<Date | null> {
  const row = await db('rate_counters').where({ key }).where('window_start', '>', toDbTime(now)).max({ until: 'window_start' }).first();
  return row?.until ? new Date(row.until as string) : null;
}

/** Forgets every window and hold of `key` (a success that wipes the slate, such as a right password). */
export async function forgetKey(db: Knex, key: string): Promise<number> {
  return db('rate_counters').where({ key }).del();
}

/** Forgets windows that ended before `before` (the worker's housekeeping). */
export async function pruneRateCounters(db: Knex, before: Date): Promise<number> {
  return db('rate_counters').where('window_start', '<', toDbTime(before)).del();
}
