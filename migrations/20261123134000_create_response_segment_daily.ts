import type { Knex } from 'knex';

/**
 * Dashboards at a million responses (issue 4): the segment rollup, and indexes that let the remaining
 * reads of the responses and invitations be answered from the index alone.
 */
export async function up(knex: Knex): Promise<void> {
  // survey × property name × local day (reporting time zone) × property value × score → count; kept in the
  // response's transaction beside response_daily. Responses without the property are not counted here:
  // they are response_daily's count less this table's. Values are text as the API shows them.
  await knex.schema.createTable('response_segment_daily', (t) => {
    t.integer('survey_id').notNullable().references('surveys.id');
    t.text('name').notNullable();
    t.string('day', 10).notNullable();
    t.text('value').notNullable();
    t.integer('score').notNullable();
    t.integer('count').notNullable();
    t.primary(['survey_id', 'name', 'day', 'value', 'score']);
  });
  // Trends in another time zone read (answered_at, score) of a survey's responses: from the index alone.
  // It serves every query the (survey_id, answered_at) index served, so that one goes.
  await knex.schema.alterTable('responses', (t) => {
    t.index(['survey_id', 'answered_at', 'score'], 'responses_survey_answered_score_index');
    t.dropIndex(['survey_id', 'answered_at']);
    // Comments (the newest, and the search): only the answers that have one, about one in seven.
    t.index(['survey_id', 'answered_at'], 'responses_commented_index', { predicate: knex.whereNotNull('comment') });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('responses', (t) => {
    t.dropIndex(['survey_id', 'answered_at'], 'responses_commented_index');
    t.index(['survey_id', 'answered_at']);
    t.dropIndex(['survey_id', 'answered_at', 'score'], 'responses_survey_answered_score_index');
  });
  await knex.schema.dropTable('response_segment_daily');
}
