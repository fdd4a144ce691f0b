import type { Knex } from 'knex';

/**
 * Every answer a page posts, kept with what the server knew about it (DESIGN.md, "Responses: held,
 * settled, never silently lost"): an answer with a person's evidence is settled at once; one the page
 * saved on its own is held until its settle window has passed, then settled or discarded (automated).
 * Only settled answers become (or change) rows of `responses`, which the metrics and rollups count.
 *
 * Responses get their source: an invitation (email link), a signed web link, an anonymous web link, an
 * import. Web-link answers were stored with the channel 'web'; that name now belongs to the in-page
 * widget, so they become channel 'link'.
 *
 * `rate_counters` counts abuse limits in the database, so they hold across processes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('answers', (t) => {
    t.increments('id');
    t.integer('survey_id').notNullable().references('surveys.id');
    t.integer('invitation_id').references('invitations.id');
    t.integer('customer_id').references('customers.id');
    // The response this answer became or changed, once settled.
    t.integer('response_id').references('responses.id');
    t.integer('score').notNullable();
    // null: no comment was sent with it (a background save keeps the comment there is).
    t.text('comment');
    // email, link (the public web link), web (the widget)
    t.string('channel', 16).notNullable();
    // invitation, signed, anonymous
    t.string('source', 16).notNullable();
    t.string('locale', 8);
    // held, settled, discarded
    t.string('state', 16).notNullable();
    // Why it is in its state: person, settle_window, different_scores, trap_link, replaced, closed, erased …
    t.string('reason', 32).notNullable();
    // The evidence: how the page sent it (click, auto, script, nojs), the first input it saw (pointer, touch, key).
    t.string('trigger', 16).notNullable();
    t.string('input', 16);
    t.integer('open_id');
    t.string('opened_at', 30);
    t.integer('seconds_since_sent');
    t.string('user_agent', 300);
    // A signed web link: its hash (one answer per link) and the properties it carries.
    t.string('link_key', 64);
    t.text('properties');
    t.string('answered_at', 30).notNullable();
    t.string('settles_at', 30);
    t.string('decided_at', 30);
    t.index(['state', 'settles_at']);
    t.index(['invitation_id', 'id']);
    t.index(['survey_id', 'state', 'answered_at']);
    t.index(['link_key']);
  });
  await knex.schema.alterTable('responses', (t) => {
    // invitation, signed, anonymous, import
    t.string('source', 16).notNullable().defaultTo('invitation');
    // A signed web link's hash: one response per link.
    t.string('link_key', 64).unique();
  });
  await knex('responses').where({ channel: 'web' }).update({ channel: 'link', source: 'anonymous' });
  await knex('responses').where({ channel: 'import' }).update({ source: 'import' });
  await knex.schema.createTable('rate_counters', (t) => {
    t.string('key', 200).notNullable();
    t.string('window_start', 30).notNullable();
    t.integer('count').notNullable();
    t.primary(['key', 'window_start']);
    t.index(['window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_counters');
  await knex.schema.dropTable('answers');
  await knex('responses').where({ channel: 'link' }).update({ channel: 'web' });
  // The unique index on link_key goes first: SQLite cannot drop a column an index names.
  await knex.schema.alterTable('responses', (t) => t.dropUnique(['link_key']));
  for (const column of ['source', 'link_key']) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['responses', column]);
}
