import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Single-use links that let a person set their password: an admin's invitation or a reset they asked for.
  await knex.schema.createTable('user_tokens', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('purpose', 16).notNullable();
    // sha256 of the token in hex; the token itself is only in the email.
    t.string('token_hash', 64).notNullable().unique();
    t.string('expires_at', 30).notNullable();
    t.string('used_at', 30);
    t.string('created_at', 30).notNullable();
    t.index(['user_id', 'purpose']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_tokens');
}
