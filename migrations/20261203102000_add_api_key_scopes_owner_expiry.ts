import type { Knex } from 'knex';

/**
 * API keys get scopes, an owner and an expiry (issue 10, point 5).
 *
 * - scopes: the scopes of the key, space-separated (`events:write metrics:read`). Keys that exist when
 *   this runs get every scope there is at this point, written out, so they keep working with every scope
 *   until an admin narrows them. Scopes added later are not given to them silently. (The app also reads
 *   a NULL here, which only a row written outside Touchpoint can have, as every scope.)
 * - created_by_user_id / created_by_label: who created the key: the user (id, and the email as it was
 *   then), or `command line`. NULL for keys made before owners were recorded.
 * - expires_at: after this instant the key is refused (NULL: never).
 * - revoked_by_label: who revoked it (a user's email, `command line`, or why Touchpoint did).
 *
 * Standing alone: no app imports.
 */
const everyScopeToday = [
  'events:write',
  'surveys:read',
  'surveys:write',
  'metrics:read',
  'responses:read',
  'customers:read',
  'customers:write',
  'webhooks:write',
].join(' ');

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.text('scopes');
    t.integer('created_by_user_id');
    t.string('created_by_label', 254);
    t.string('expires_at', 30);
    t.string('revoked_by_label', 254);
    t.index(['created_by_user_id']);
  });
  await knex('api_keys').update({ scopes: everyScopeToday });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropIndex(['created_by_user_id']);
  });
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropColumn('revoked_by_label');
    t.dropColumn('expires_at');
    t.dropColumn('created_by_label');
    t.dropColumn('created_by_user_id');
    t.dropColumn('scopes');
  });
}
