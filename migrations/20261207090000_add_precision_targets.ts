import type { Knex } from 'knex';

/**
 * Precision targets (issue 17): a survey may say how precise its score must be per period (and per value of
 * one property) instead of a fixed sample rate; `surveys.precision_target` holds it as JSON (null: off).
 * `sample_rates` holds the rate in force for each such survey and segment ('' for the survey as a whole),
 * worked out once a day from the last weeks' volume, response rate and score spread, with what it was
 * worked out from (`basis`, JSON) for the survey page. Standing alone: no app imports.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('surveys', (t) => {
    t.text('precision_target').nullable();
  });
  await knex.schema.createTable('sample_rates', (t) => {
    t.integer('survey_id').notNullable().references('surveys.id');
    t.text('segment').notNullable();
    // The local day (reporting time zone) it was worked out for, and the period it aims at.
    t.text('computed_for').notNullable();
    t.text('period_start').notNullable();
    t.double('rate').notNullable();
    t.text('state').notNullable();
    t.text('basis').notNullable();
    t.text('computed_at').notNullable();
    t.primary(['survey_id', 'segment']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sample_rates');
  await knex.schema.alterTable('surveys', (t) => {
    t.dropColumn('precision_target');
  });
}
