import type { Knex } from 'knex';

export async function readAllSettings(db: Knex): Promise<Record<string, unknown>> {
  const rows: { key: string; value: string }[] = await db('settings').select('key', 'value');
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
}

export async function writeSettings(db: Knex, values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await db('settings').insert({ key, value: JSON.stringify(value) }).onConflict('key').merge();
  }
}
