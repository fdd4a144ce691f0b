import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // What people did to a customer's record (an editor cleared a hard bounce, an API key erased it): who and when.
  await knex.schema.createTable('customer_actions', (t) => {
    t.increments('id');
    t.integer('customer_id').notNullable().references('customers.id');
    // bounce_cleared, erased
    t.string('kind', 32).notNullable();
    t.string('at', 30).notNullable();
    t.integer('user_id').references('users.id');
    // Who, as the page shows it: the user's email, or "API key NAME".
    t.string('by', 300).notNullable();
    // JSON: what was there before (for bounce_cleared: the bounce's time and the server's answer).
    t.text('detail').notNullable().defaultTo('{}');
    t.index(['customer_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('customer_actions');
}
