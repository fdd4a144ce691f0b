import type { Knex } from 'knex';

/**
 * Two-factor sign-in with TOTP (issue 10, point 3).
 *
 * - user_second_factors: one row per user who has begun or finished enrolment.
 *   - secret: the TOTP secret (base32), sealed with AES-256-GCM under a key derived from SESSION_SECRET
 *     and bound to the user's id (`v1:iv:tag:ciphertext`); never shown again once enrolment is done.
 *   - confirmed_at: when the user typed a right code to finish enrolment; NULL while enrolment is under
 *     way (such a row does not count: sign-in asks for no code).
 *   - last_used_step: the TOTP time step (Unix time / 30 s) of the last code accepted; a code of that step
 *     or an earlier one is refused, so a code cannot be used twice.
 * - user_recovery_codes: ten single-use codes per user, stored only as SHA-256 hashes (each code carries
 *   80 random bits); used_at marks a used one.
 *
 * Both go with their user (ON DELETE CASCADE). Standing alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_second_factors', (t) => {
    t.integer('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('secret').notNullable();
    t.string('created_at', 30).notNullable();
    t.string('confirmed_at', 30);
    t.bigInteger('last_used_step');
  });
  await knex.schema.createTable('user_recovery_codes', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    // sha256 of the code (lower case, without separators) in hex.
    t.string('code_hash', 64).notNullable();
    t.string('created_at', 30).notNullable();
    t.string('used_at', 30);
    t.index(['user_id', 'code_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('user_recovery_codes');
  await knex.schema.dropTableIfExists('user_second_factors');
}
