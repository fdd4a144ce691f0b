import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The development mailbox: where mail goes when SMTP_URL is unset.
  await knex.schema.createTable('mailbox_messages', (t) => {
    t.increments('id');
    t.string('message_id', 200).notNullable();
    t.string('from', 300).notNullable();
    t.string('to', 300).notNullable();
    t.string('subject', 500).notNullable();
    t.text('html');
    t.text('text');
    t.text('headers').notNullable().defaultTo('{}');
    t.string('created_at', 30).notNullable();
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mailbox_messages');
}
