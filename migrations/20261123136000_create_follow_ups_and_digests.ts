import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A detractor's comment that someone followed up: who, when, and what they noted.
  await knex.schema.createTable('follow_ups', (t) => {
    t.integer('response_id').primary().references('responses.id').onDelete('CASCADE');
    t.string('done_at', 30).notNullable();
    t.integer('done_by').references('users.id');
    t.text('note').notNullable().defaultTo('');
  });
  // Who hears about a survey's detractor comments by email; alerts start from `since`.
  await knex.schema.createTable('survey_owners', (t) => {
    t.integer('survey_id').primary().references('surveys.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id');
    t.string('since', 30).notNullable();
  });
  // One alert per response, ever: the primary key is the marker, taken before the email leaves.
  await knex.schema.createTable('follow_up_alerts', (t) => {
    t.integer('response_id').primary().references('responses.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id');
    t.string('claimed_at', 30).notNullable();
    t.string('sent_at', 30);
    t.text('error');
  });
  // The weekly digest: who asked for it, and the week (its Monday, local date) last sent.
  await knex.schema.createTable('digest_subscriptions', (t) => {
    t.integer('user_id').primary().references('users.id').onDelete('CASCADE');
    // null: opted out again (the row stays, so the week sent is not forgotten).
    t.string('subscribed_at', 30);
    t.string('last_week_start', 10);
    t.string('last_sent_at', 30);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('digest_subscriptions');
  await knex.schema.dropTable('follow_up_alerts');
  await knex.schema.dropTable('survey_owners');
  await knex.schema.dropTable('follow_ups');
}
