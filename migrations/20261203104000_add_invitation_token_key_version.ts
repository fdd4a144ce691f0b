import type { Knex } from 'knex';

/**
 * Which key derived an invitation's link token from its salt (server/responses/tokens.ts):
 * 1 the session secret (every invitation made before this column), 2 the link key (LINK_SECRET,
 * or the one kept in var/link-secret). The worker derives the token again for the email and its
 * reminder, so it must know the key; the default keeps rows written without the column on 1.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.smallint('token_key_version').notNullable().defaultTo(1);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['invitations', 'token_key_version']);
}
