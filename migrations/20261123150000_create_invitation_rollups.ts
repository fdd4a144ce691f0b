import type { Knex } from 'knex';
import { getSettings } from '../server/settings/service.ts';
import { rebuildSendRollups } from '../server/responses/send-rollup.ts';
import { rebuildEventRollup } from '../server/events/rollup.ts';

/**
 * Response rates at a million responses (issue 4): invitations sent and answered per survey and local day
 * of sending (reporting time zone), overall and per event property value, counted from the invitations
 * already sent; events per touchpoint, property value and local day, for the funnel under a filter; and
 * indexes for the counts that remain (a touchpoint's events in a period; a survey's invitations by send time;
 * one property value's days of scores).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitation_daily', (t) => {
    t.integer('survey_id').notNullable().references('surveys.id');
    t.string('day', 10).notNullable();
    t.integer('sent').notNullable();
    t.integer('responded').notNullable();
    t.primary(['survey_id', 'day']);
  });
  await knex.schema.createTable('invitation_segment_daily', (t) => {
    t.integer('survey_id').notNullable().references('surveys.id');
    t.text('name').notNullable();
    t.string('day', 10).notNullable();
    t.text('value').notNullable();
    t.integer('sent').notNullable();
    t.integer('responded').notNullable();
    t.primary(['survey_id', 'name', 'day', 'value']);
  });
  await knex.schema.createTable('event_segment_daily', (t) => {
    t.integer('touchpoint_id').notNullable().references('touchpoints.id');
    t.text('name').notNullable();
    t.string('day', 10).notNullable();
    t.text('value').notNullable();
    t.integer('count').notNullable();
    t.primary(['touchpoint_id', 'name', 'day', 'value']);
  });
  await knex.schema.alterTable('events', (t) => {
    t.index(['touchpoint_id', 'received_at']);
  });
  // Scores under a property filter read one value's days: straight to them, from the index alone.
  await knex.schema.alterTable('response_segment_daily', (t) => {
    t.index(['survey_id', 'name', 'value', 'day', 'score', 'count'], 'response_segment_daily_by_value_index');
  });
  // Response rates in another time zone, or under several filters, count a survey's invitations by the time
  // they were sent and whether they were answered: from this index alone. It serves what (survey_id, sent_at) did.
  await knex.schema.alterTable('invitations', (t) => {
    t.index(['survey_id', 'sent_at', 'responded_at'], 'invitations_survey_sent_responded_index');
    t.dropIndex(['survey_id', 'sent_at']);
  });
  const { reporting_time_zone: tz } = await getSettings(knex);
  await rebuildSendRollups(knex, tz);
  await rebuildEventRollup(knex, tz);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('response_segment_daily', (t) => {
    t.dropIndex(['survey_id', 'name', 'value', 'day', 'score', 'count'], 'response_segment_daily_by_value_index');
  });
  await knex.schema.alterTable('invitations', (t) => {
    t.index(['survey_id', 'sent_at']);
    t.dropIndex(['survey_id', 'sent_at', 'responded_at'], 'invitations_survey_sent_responded_index');
  });
  await knex.schema.alterTable('events', (t) => {
    t.dropIndex(['touchpoint_id', 'received_at']);
  });
  await knex.schema.dropTable('event_segment_daily');
  await knex.schema.dropTable('invitation_segment_daily');
  await knex.schema.dropTable('invitation_daily');
}
