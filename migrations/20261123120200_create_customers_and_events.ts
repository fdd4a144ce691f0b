import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (t) => {
    t.increments('id');
    // The business's id for the customer, or the lower-cased email when it sends none.
    t.string('external_id', 200).notNullable().unique();
    t.string('email', 254);
    t.string('name', 200);
    t.string('locale', 8);
    t.string('time_zone', 64);
    t.text('properties').notNullable().defaultTo('{}');
    t.string('unsubscribed_at', 30);
    t.string('bounced_at', 30);
    t.text('bounce_reason');
    t.string('erased_at', 30);
    t.string('created_at', 30).notNullable();
    // Written first in every decision transaction: it serialises decisions per customer.
    t.string('updated_at', 30).notNullable();
    t.index(['email']);
  });
  await knex.schema.createTable('touchpoint_unsubscribes', (t) => {
    t.integer('customer_id').notNullable().references('customers.id');
    t.integer('touchpoint_id').notNullable().references('touchpoints.id');
    t.string('created_at', 30).notNullable();
    t.primary(['customer_id', 'touchpoint_id']);
  });
  await knex.schema.createTable('events', (t) => {
    t.increments('id');
    t.integer('touchpoint_id').notNullable().references('touchpoints.id');
    t.string('transaction_id', 200).notNullable();
    t.integer('customer_id').notNullable().references('customers.id');
    t.string('occurred_at', 30).notNullable();
    t.string('received_at', 30).notNullable();
    t.text('properties').notNullable().defaultTo('{}');
    t.string('source', 8).notNullable().defaultTo('api');
    t.integer('survey_id').references('surveys.id');
    t.string('decision', 16).notNullable();
    t.string('reason', 32);
    t.text('reason_detail');
    t.string('send_at', 30);
    t.integer('invitation_id');
    t.unique(['touchpoint_id', 'transaction_id']);
    t.index(['customer_id', 'received_at']);
    t.index(['received_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('events');
  await knex.schema.dropTable('touchpoint_unsubscribes');
  await knex.schema.dropTable('customers');
}
