import type { Knex } from 'knex';

/**
 * Outgoing webhooks (issue 14): endpoints, the outbox of messages (written in the transaction of what they
 * report, so a crash loses none) and every delivery attempt. Standing alone: no app imports.
 *
 * - webhook_endpoints: where to send which event types, signed with `secret` (and, during a rotation, with
 *   `previous_secret` too until `previous_secret_until`); disabled (disabled_at, with the reason) by an
 *   admin, after a 410 or after failing for days.
 * - webhook_messages: one per endpoint and event; `message_id` is the webhook-id header, the same on every
 *   attempt; pending until a 2xx (delivered) or the last retry (failed). A worker claims a message before
 *   it sends (claimed_by, claimed_at), so two workers never send one attempt twice.
 * - webhook_attempts: each try: its HTTP status (none when the request failed), time taken, the start of
 *   the answer or the error.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.increments('id');
    t.text('url').notNullable();
    t.text('description').notNullable().defaultTo('');
    // JSON array of event types.
    t.text('events').notNullable();
    t.text('secret').notNullable();
    t.text('previous_secret');
    t.string('previous_secret_until', 30);
    // Set when the endpoint was turned off (by an admin, after a 410, or after failing for days), with why.
    t.string('disabled_at', 30);
    t.text('disabled_reason');
    t.string('failing_since', 30);
    t.string('created_at', 30).notNullable();
    t.string('updated_at', 30).notNullable();
  });
  await knex.schema.createTable('webhook_messages', (t) => {
    t.increments('id');
    t.integer('endpoint_id').notNullable().references('webhook_endpoints.id').onDelete('CASCADE');
    t.string('message_id', 40).notNullable().unique();
    t.string('type', 40).notNullable();
    t.text('payload').notNullable();
    // pending, delivered, failed
    t.string('state', 12).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('next_attempt_at', 30).notNullable();
    t.string('claimed_by', 120);
    t.string('claimed_at', 30);
    t.string('created_at', 30).notNullable();
    t.string('finished_at', 30);
    t.index(['state', 'next_attempt_at']);
    t.index(['endpoint_id', 'id']);
  });
  await knex.schema.createTable('webhook_attempts', (t) => {
    t.increments('id');
    t.integer('message_id').notNullable().references('webhook_messages.id').onDelete('CASCADE');
    t.string('at', 30).notNullable();
    t.integer('status');
    t.integer('duration_ms').notNullable();
    t.text('response');
    t.text('error');
    t.index(['message_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_attempts');
  await knex.schema.dropTable('webhook_messages');
  await knex.schema.dropTable('webhook_endpoints');
}
