import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('responses', (t) => {
    t.increments('id');
    t.integer('survey_id').notNullable().references('surveys.id');
    t.integer('invitation_id').unique().references('invitations.id');
    t.integer('customer_id').references('customers.id');
    t.integer('score').notNullable();
    t.text('comment');
    // email, web or import
    t.string('channel', 16).notNullable();
    t.string('locale', 8);
    t.string('answered_at', 30).notNullable();
    t.string('updated_at', 30).notNullable();
    t.text('properties').notNullable().defaultTo('{}');
    t.index(['survey_id', 'answered_at']);
    t.index(['customer_id']);
  });
  // Every open of a score link and every refused automated answer: what link scanners did.
  await knex.schema.createTable('link_clicks', (t) => {
    t.increments('id');
    t.integer('invitation_id').notNullable().references('invitations.id');
    // open (GET of a score link), trap (the hidden link), automated (a POST judged automated)
    t.string('kind', 16).notNullable();
    t.integer('score');
    t.string('at', 30).notNullable();
    t.string('user_agent', 300);
    t.string('signal', 64);
    t.index(['invitation_id', 'at']);
  });
  // survey × local day (reporting time zone) × score → count; kept in the response's transaction.
  await knex.schema.createTable('response_daily', (t) => {
    t.integer('survey_id').notNullable().references('surveys.id');
    t.string('day', 10).notNullable();
    t.integer('score').notNullable();
    t.integer('count').notNullable();
    t.primary(['survey_id', 'day', 'score']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('response_daily');
  await knex.schema.dropTable('link_clicks');
  await knex.schema.dropTable('responses');
}
