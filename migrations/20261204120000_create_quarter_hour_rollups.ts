import type { Knex } from 'knex';

/**
 * Trends in any time zone from counters (issue 13): the daily rollups are local days of the reporting time
 * zone, so another zone had to read every response and invitation of the period. These count per UTC
 * quarter-hour, numbered from 1970-01-01T00:00Z (floor(epoch ms / 900,000)): every zone's offset is a
 * whole number of quarter-hours, so any zone's local day is a sum of them.
 *
 * - response_quarter_hours: survey × quarter-hour of answering × score → count (beside response_daily).
 * - invitation_quarter_hours: survey × quarter-hour of sending → sent, responded (beside invitation_daily).
 *
 * Filled from what is stored. Standing alone: no app imports.
 */
const quarterOf = (knex: Knex, column: string): string =>
  knex.client.config.client === 'pg'
    ? `CAST(floor(extract(epoch from CAST(${column} AS timestamptz)) / 900) AS INTEGER)`
    : `CAST(strftime('%s', substr(${column}, 1, 19)) AS INTEGER) / 900`;

const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.schema.createTable('response_quarter_hours', (t) => {
      t.integer('survey_id').notNullable().references('surveys.id');
      t.integer('quarter').notNullable();
      t.integer('score').notNullable();
      t.integer('count').notNullable();
      t.primary(['survey_id', 'quarter', 'score']);
    });
    await knex.schema.createTable('invitation_quarter_hours', (t) => {
      t.integer('survey_id').notNullable().references('surveys.id');
      t.integer('quarter').notNullable();
      t.integer('sent').notNullable();
      t.integer('responded').notNullable();
      t.primary(['survey_id', 'quarter']);
    });
  } else {
    // Kept in key order (WITHOUT ROWID): a survey's quarter-hours of a period are one run of pages.
    await knex.raw(`CREATE TABLE response_quarter_hours (
      survey_id integer NOT NULL REFERENCES surveys (id), quarter integer NOT NULL, score integer NOT NULL, count integer NOT NULL,
      PRIMARY KEY (survey_id, quarter, score)) WITHOUT ROWID`);
    await knex.raw(`CREATE TABLE invitation_quarter_hours (
      survey_id integer NOT NULL REFERENCES surveys (id), quarter integer NOT NULL, sent integer NOT NULL, responded integer NOT NULL,
      PRIMARY KEY (survey_id, quarter)) WITHOUT ROWID`);
  }
  await knex.raw(
    `INSERT INTO response_quarter_hours (survey_id, quarter, score, count)
     SELECT survey_id, ${quarterOf(knex, 'answered_at')}, score, count(*) FROM responses GROUP BY 1, 2, 3`,
  );
  await knex.raw(
    `INSERT INTO invitation_quarter_hours (survey_id, quarter, sent, responded)
     SELECT survey_id, ${quarterOf(knex, 'sent_at')}, count(*), count(responded_at) FROM invitations WHERE sent_at IS NOT NULL GROUP BY 1, 2`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('invitation_quarter_hours');
  await knex.schema.dropTable('response_quarter_hours');
}
