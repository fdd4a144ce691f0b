import type { Knex } from 'knex';

/**
 * Test invitations (issue 16, the first-run checklist): "send a test event to me" makes an invitation to the
 * person who asked, sent at once, marked `is_test`, so the worker neither rechecks the contact rules for it
 * nor counts it, and its answer is kept in the answers' ledger as a test instead of becoming a response.
 * Standing alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.boolean('is_test').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.dropColumn('is_test');
  });
}
