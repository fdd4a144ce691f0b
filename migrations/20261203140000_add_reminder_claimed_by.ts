import type { Knex } from 'knex';

/**
 * One owner per send (issue 12): a reminder's claim names its worker, as an invitation's does
 * (invitations.claimed_by), so a worker whose lease ran out cannot mark a reminder another worker
 * has taken over. Standing alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.string('reminder_claimed_by', 200).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.dropColumn('reminder_claimed_by');
  });
}
