import type { Knex } from 'knex';
import { toDbTime } from './time.ts';

/**
 * Fixed-window counters kept in the database (`rate_counters`), so a limit holds across every process
 * that shares it. A key names what is counted (an address, an account, a link); the window starts at a
 * multiple of its length.
 */

/** Counts one more hit of `key` in the window around `now` and returns the count so far in that window. */
export async function countHit(db: Knex, key: string, windowMs: number, now: Date): Promise<number> {
  const windowStart = toDbTime(new Date(Math.floor(now.getTime() / windowMs) * windowMs));
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

/** Forgets windows that ended before `before` (the worker's housekeeping). */
export async function pruneRateCounters(db: Knex, before: Date): Promise<number> {
  return db('rate_counters').where('window_start', '<', toDbTime(before)).del();
}
