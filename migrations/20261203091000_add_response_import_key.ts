import type { Knex } from 'knex';

/**
 * The key of an imported answer (`touchpoint import responses`): the file's
 * response_id (as `id:SURVEY_ID:VALUE`), else a SHA-256 hex of the survey, the
 * customer and the time it was answered. Unique, so a file imported again adds
 * nothing; null for answers that did not come from an import.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('responses', (t) => {
    t.string('import_key', 255).nullable();
    t.unique(['import_key'], { indexName: 'responses_import_key_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('responses', (t) => {
    t.dropUnique(['import_key'], 'responses_import_key_unique');
  });
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['responses', 'import_key']);
}
