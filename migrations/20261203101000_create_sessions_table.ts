import type { Knex } from 'knex';

/**
 * The session store's table (connect-session-knex), made here rather than by the store on first use:
 * two app processes starting at once against an empty PostgreSQL database would both try to create it,
 * and the loser's sessions would fail. Installations where the store made it already keep theirs.
 * Columns as the store makes them: sid, sess (the session as JSON), expired (when the row may go).
 */
export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('sessions')) return;
  await knex.schema.createTable('sessions', (t) => {
    t.string('sid').primary();
    t.json('sess').notNullable();
    t.timestamp('expired').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sessions');
}
