import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('touchpoints', (t) => {
    t.increments('id');
    t.string('key', 100).notNullable().unique();
    t.string('name', 200).notNullable();
    t.string('created_at', 30).notNullable();
  });
  await knex.schema.createTable('surveys', (t) => {
    t.increments('id');
    t.string('key', 100).notNullable().unique();
    t.integer('touchpoint_id').notNullable().references('touchpoints.id');
    t.string('metric', 8).notNullable();
    t.string('status', 16).notNullable();
    t.string('default_locale', 8).notNullable();
    // Wording per locale: {question, labels {low, high}, comment_prompt, thank_you}.
    t.text('content').notNullable();
    t.integer('send_delay_minutes').notNullable().defaultTo(0);
    t.float('sample_rate').notNullable().defaultTo(100);
    // The survey's own contact rules (cooldowns, quiet hours); null fields follow the global rules.
    t.text('rules').notNullable();
    t.string('channel', 16).notNullable().defaultTo('email');
    // 'ui', 'api' or 'file' (surveys/ directory; read-only in the UI).
    t.string('source', 8).notNullable().defaultTo('ui');
    t.string('source_file', 300);
    t.string('created_at', 30).notNullable();
    t.string('updated_at', 30).notNullable();
    t.index(['touchpoint_id', 'status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('surveys');
  await knex.schema.dropTable('touchpoints');
}
