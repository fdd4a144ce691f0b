import type { Knex } from 'knex';
import { getSettings } from '../server/settings/service.ts';
import { rebuildSendRollups } from '../server/responses/send-rollup.ts';

/**
 * Response rates at a million responses (issue 4): invitations sent and answered per survey and local day
 * of sending (reporting time zone), overall and per event property value, counted from the invitations
 * already sent. And an index for the funnel's count of a touchpoint's events in a period.
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
  await knex.schema.alterTable('events', (t) => {
    t.index(['touchpoint_id', 'received_at']);
  });
  await rebuildSendRollups(knex, (await getSettings(knex)).reporting_time_zone);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropIndex(['touchpoint_id', 'received_at']);
  });
  await knex.schema.dropTable('invitation_segment_daily');
  await knex.schema.dropTable('invitation_daily');
}
