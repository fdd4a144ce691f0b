import type { Knex } from 'knex';

const columns = [
  'reminder_state',
  'reminder_attempts',
  'reminder_next_attempt_at',
  'reminder_claimed_at',
  'reminder_sent_at',
  'reminder_message_id',
  'reminder_last_error',
  'reminder_detail',
];

/**
 * One reminder per invitation, kept on the invitation's row: it is not an
 * invitation of its own, so it never counts for cooldowns or caps.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    // null: none yet (or waiting for its retry); sending, sent, suppressed (no longer wanted), failed.
    t.string('reminder_state', 16);
    t.integer('reminder_attempts').notNullable().defaultTo(0);
    // Not before this instant: a retry's backoff, or the next quiet-hours window.
    t.string('reminder_next_attempt_at', 30);
    t.string('reminder_claimed_at', 30);
    t.string('reminder_sent_at', 30);
    t.string('reminder_message_id', 200);
    t.text('reminder_last_error');
    // Why no reminder went out (responded, unsubscribed, …).
    t.text('reminder_detail');
  });
}

export async function down(knex: Knex): Promise<void> {
  // One plain ALTER TABLE per column: SQLite (3.35+) and PostgreSQL both drop a column in place.
  for (const column of columns) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['invitations', column]);
}
