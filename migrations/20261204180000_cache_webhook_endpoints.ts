import type { Knex } from 'knex';

/**
 * The enabled webhook endpoints join what each process keeps in memory (server/db/versioned-cache.ts):
 * every answer, send and unsubscribe asks which endpoints want it, and they change rarely. Standing
 * alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('cache_versions').insert({ name: 'webhooks', version: 0 }).onConflict('name').ignore();
}

export async function down(knex: Knex): Promise<void> {
  await knex('cache_versions').where({ name: 'webhooks' }).del();
}
