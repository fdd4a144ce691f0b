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
  // The checklist asks whether any test invitation or test answer exists: partial indexes hold only those
  // few rows, so asking never reads the millions of others (the same SQL on both databases).
  await knex.raw('CREATE INDEX invitations_test_index ON invitations (id) WHERE is_test = true');
  await knex.raw("CREATE INDEX answers_test_index ON answers (id) WHERE reason = 'test'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX answers_test_index');
  await knex.raw('DROP INDEX invitations_test_index');
  await knex.schema.alterTable('invitations', (t) => {
    t.dropColumn('is_test');
  });
}
