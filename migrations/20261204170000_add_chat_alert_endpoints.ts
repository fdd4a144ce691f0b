import type { Knex } from 'knex';

/**
 * Chat alerts (issue 14): a webhook endpoint may be a Slack incoming webhook or a Microsoft Teams workflow
 * URL tied to one survey, posting that survey's alerts formatted for the chat (`kind` slack or teams),
 * with the survey's rule: which scores alert (`alert_scores`: detractors, passives_and_detractors, any)
 * and whether only answers with a comment do (`alert_needs_comment`, 1 or 0). Plain webhooks are
 * `kind` webhook, no survey. Standing alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    t.string('kind', 12).notNullable().defaultTo('webhook');
    t.integer('survey_id').references('surveys.id');
    t.string('alert_scores', 24);
    t.integer('alert_needs_comment');
    t.index(['survey_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_endpoints', (t) => {
    t.dropIndex(['survey_id']);
    t.dropColumn('alert_needs_comment');
    t.dropColumn('alert_scores');
    t.dropColumn('survey_id');
    t.dropColumn('kind');
  });
}
