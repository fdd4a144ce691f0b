import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { isPostgres } from '../../server/db/dialect.ts';

/**
 * The database schema as text, the same on every run of the same migrations: tables, columns, indexes,
 * constraints and triggers, sorted; knex's own bookkeeping tables left out. Hashed after each migration, it
 * catches a change to a migration that has already run somewhere (test/fixtures/schema-hashes.json).
 */
async function describeSchema(db: Knex): Promise<string> {
  if (isPostgres(db)) {
    const q = async (sql: string) => ((await db.raw(sql)) as { rows: Record<string, unknown>[] }).rows.map((r) => JSON.stringify(r));
    const parts = await Promise.all([
      q(`SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length
           FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE 'knex_%'
           ORDER BY table_name, column_name`),
      q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename NOT LIKE 'knex_%' ORDER BY tablename, indexname`),
      q(`SELECT tc.table_name, tc.constraint_type, kcu.column_name, ccu.table_name AS references_table
           FROM information_schema.table_constraints tc
           LEFT JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
           LEFT JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema AND tc.constraint_type = 'FOREIGN KEY'
           WHERE tc.table_schema = current_schema() AND tc.table_name NOT LIKE 'knex_%' AND tc.constraint_type <> 'CHECK'
           ORDER BY tc.table_name, tc.constraint_type, kcu.column_name, references_table`),
      q(`SELECT event_object_table, trigger_name, event_manipulation, action_timing FROM information_schema.triggers
           WHERE trigger_schema = current_schema() ORDER BY event_object_table, trigger_name, event_manipulation`),
    ]);
    return parts.map((p) => p.join('\n')).join('\n--\n');
  }
  const rows: { type: string; name: string; sql: string | null }[] = await db.raw(
    "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'knex_%' ORDER BY type, name",
  );
  return rows.map((r) => `${r.type} ${r.name}: ${(r.sql ?? '').replace(/\s+/g, ' ').trim()}`).join('\n');
}

export const schemaHash = async (db: Knex): Promise<string> => crypto.createHash('sha256').update(await describeSchema(db)).digest('hex').slice(0, 16);

export const schemaHashesFile = path.resolve('test/fixtures/schema-hashes.json');

/** dialect → migration name → the schema's hash once it has run (and every one before it). */
export type SchemaHashes = Record<'sqlite' | 'postgres', Record<string, string>>;

export function readSchemaHashes(): SchemaHashes {
  return fs.existsSync(schemaHashesFile) ? JSON.parse(fs.readFileSync(schemaHashesFile, 'utf8')) : { sqlite: {}, postgres: {} };
}
