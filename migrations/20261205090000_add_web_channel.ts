import type { Knex } from 'knex';

/**
 * The web channel (issue 15): a survey shown by the widget on the company's site (`web`), or there within
 * a window and else emailed (`email_or_web`). A survey keeps its window in days; a web invitation waits
 * (`waiting`) until `web_until` for the customer's next page view, and records when it was shown and
 * dismissed. The sites allowed to show the widget are a setting; its secret is kept like the link secret.
 * Standing alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('surveys', (t) => {
    t.integer('web_window_days').notNullable().defaultTo(2);
  });
  await knex.schema.alterTable('invitations', (t) => {
    t.string('web_until', 30);
    t.string('shown_at', 30);
    t.string('dismissed_at', 30);
    // The widget's question: a customer's waiting invitations.
    t.index(['customer_id', 'state'], 'invitations_customer_state_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.dropIndex(['customer_id', 'state'], 'invitations_customer_state_index');
    t.dropColumn('web_until');
    t.dropColumn('shown_at');
    t.dropColumn('dismissed_at');
  });
  await knex.schema.alterTable('surveys', (t) => {
    t.dropColumn('web_window_days');
  });
}
