import type { Knex } from 'knex';

/**
 * Per-survey answer settings: whether its public web link (/s/:key) takes answers (always for link-only
 * surveys, else only when the editor turns it on), whether anonymous answers count in its metrics, and
 * the oldest event it still surveys (older ones are recorded as too_old).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('surveys', (t) => {
    t.boolean('public_link').notNullable().defaultTo(false);
    t.boolean('count_anonymous').notNullable().defaultTo(true);
    // Days; null: no limit.
    t.integer('max_event_age_days').defaultTo(7);
  });
  await knex('surveys').where({ channel: 'link' }).update({ public_link: true });
}

export async function down(knex: Knex): Promise<void> {
  for (const column of ['public_link', 'count_anonymous', 'max_event_age_days']) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['surveys', column]);
}
