import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitations', (t) => {
    t.increments('id');
    t.integer('survey_id').notNullable().references('surveys.id');
    t.integer('event_id').notNullable().references('events.id');
    t.integer('customer_id').notNullable().references('customers.id');
    t.string('channel', 16).notNullable().defaultTo('email');
    t.string('locale', 8).notNullable();
    // scheduled, sending, sent, responded, suppressed, failed, expired
    t.string('state', 16).notNullable();
    t.string('send_at', 30).notNullable();
    // The link token is derived from the secret and this salt; only its hash is looked up.
    t.string('token_salt', 64).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('expires_at', 30);
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('next_attempt_at', 30);
    t.string('claimed_at', 30);
    t.string('claimed_by', 100);
    t.text('last_error');
    t.string('message_id', 200);
    t.string('sent_at', 30);
    t.string('responded_at', 30);
    t.string('reason', 32);
    t.text('reason_detail');
    t.string('created_at', 30).notNullable();
    t.string('updated_at', 30).notNullable();
    t.index(['state', 'send_at']);
    t.index(['customer_id', 'send_at']);
    t.index(['survey_id', 'sent_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('invitations');
}
