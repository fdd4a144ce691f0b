import type { Knex } from 'knex';

/**
 * users.session_epoch: every session stores the epoch its user had when it signed in, and counts as
 * signed in only while the user still has it. A password change or reset, a deactivation and a
 * reactivation move it on, so every older session ends at once, on every app process, whatever the
 * session store still holds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('session_epoch').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  // Both databases drop a plain column in place (SQLite since 3.35); knex's SQLite fallback would copy
  // the users table, which the tables that refer to it do not allow.
  await knex.raw('ALTER TABLE users DROP COLUMN session_epoch');
}
