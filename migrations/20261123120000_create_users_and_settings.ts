import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email', 254).notNullable().unique();
    t.string('name', 200).notNullable().defaultTo('');
    t.string('password_hash', 300);
    t.string('role', 16).notNullable();
    t.string('locale', 8).notNullable().defaultTo('en');
    t.string('created_at', 30).notNullable();
    t.string('last_login_at', 30);
    t.string('deactivated_at', 30);
  });
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 100).primary();
    t.text('value').notNullable();
  });
  await knex.schema.createTable('api_keys', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('prefix', 20).notNullable();
    t.string('key_hash', 64).notNullable().unique();
    t.string('created_at', 30).notNullable();
    t.string('last_used_at', 30);
    t.string('revoked_at', 30);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_keys');
  await knex.schema.dropTable('settings');
  await knex.schema.dropTable('users');
}
