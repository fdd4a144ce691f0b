import type { Knex } from 'knex';

/**
 * The audit log: who did what, when and from where (sign-ins, second factors, users and roles, API keys,
 * settings and contact rules, survey status, customer erasure and export, imports). Append-only: rows are
 * added, and removed only when older than the retention period.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id');
    t.string('at', 30).notNullable();
    // user, api_key, cli, system, anonymous
    t.string('actor_type', 16).notNullable();
    t.integer('actor_id');
    // The user's email or the key's name, as it was then.
    t.string('actor_label', 254);
    // A dotted name: auth.sign_in, auth.sign_in_failed, user.role_changed, apikey.created …
    t.string('action', 64).notNullable();
    t.string('target_type', 32);
    t.string('target_id', 200);
    t.string('target_label', 254);
    t.text('detail').notNullable().defaultTo('{}');
    t.string('ip', 64);
    t.index(['at']);
    t.index(['action', 'at']);
    t.index(['actor_type', 'actor_id', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
}
