import type { Knex } from 'knex';
import { bumpVersion } from '../db/versioned-cache.ts';

export async function readAllSettings(db: Knex): Promise<Record<string, unknown>> {
  const rows: { key: string; value: string }[] = await db('settings').select('key', 'value');
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
}

/** Stores settings (getSettings's keys) and moves their cache version on: in the caller's transaction, or after the writes. */
export async function writeSettings(db: Knex, values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await db('settings').insert({ key, value: JSON.stringify(value) }).onConflict('key').merge();
  }
  await bumpVersion(db, 'settings');
}
