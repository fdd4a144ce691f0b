import type { Knex } from 'knex';

/**
 * What each process keeps in memory, and when to read it again (issue 13, "read what a request needs
 * once"): one row per cached kind, its version moved on in the same transaction as every write that
 * changes what is cached (server/db/versioned-cache.ts). A process compares the versions at most once a
 * second, so another process's change is seen within a second.
 *
 * - settings: the settings table (getSettings).
 * - surveys: surveys and touchpoints (a touchpoint by key, the active survey of a touchpoint).
 * - api_keys: API keys by hash, with their owner (created, revoked, scopes changed, owner deactivated;
 *   not the "last used" time).
 *
 * Standing alone: no app imports.
 */
const names = ['settings', 'surveys', 'api_keys'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cache_versions', (t) => {
    t.string('name', 50).primary();
    t.integer('version').notNullable().defaultTo(0);
  });
  await knex('cache_versions').insert(names.map((name) => ({ name, version: 0 })));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('cache_versions');
}
