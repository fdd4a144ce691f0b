import type { Knex } from 'knex';

/**
 * Dashboards filtered by several properties at once (issue 13): one row per response and scalar property
 * (name, value as the segment rollup writes it), with the response's UTC quarter-hour and score, so that
 * responses matching every filter are found by intersecting these rows by response, without reading the
 * responses. Kept in the response's transaction (rollups/response-values.ts).
 *
 * Filled from the stored responses, with the segment rollup's rule for values (server/rollups/segments.ts,
 * repeated here: migrations stand alone): strings as they are, finite numbers and true/false written out,
 * anything else left out.
 */
const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

const valueText = (value: unknown): string | null => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return null;
};

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.schema.createTable('response_values', (t) => {
      t.integer('survey_id').notNullable().references('surveys.id');
      t.text('name').notNullable();
      t.text('value').notNullable();
      t.integer('quarter').notNullable();
      t.integer('response_id').notNullable().references('responses.id');
      t.integer('score').notNullable();
      t.primary(['survey_id', 'name', 'value', 'quarter', 'response_id']);
      t.index(['response_id']);
    });
  } else {
    // In key order (WITHOUT ROWID): one filter's rows of a period are one run of pages, and the check of
    // another filter for the same response is one lookup.
    await knex.raw(`CREATE TABLE response_values (
      survey_id integer NOT NULL REFERENCES surveys (id), name text NOT NULL, value text NOT NULL, quarter integer NOT NULL,
      response_id integer NOT NULL REFERENCES responses (id), score integer NOT NULL,
      PRIMARY KEY (survey_id, name, value, quarter, response_id)) WITHOUT ROWID`);
    await knex.raw('CREATE INDEX response_values_response_id_index ON response_values (response_id)');
  }
  for (let after = 0; ; ) {
    const rows: { id: number; survey_id: number; answered_at: string; score: number; properties: string | null }[] = await knex('responses')
      .where('id', '>', after)
      .orderBy('id')
      .limit(2000)
      .select('id', 'survey_id', 'answered_at', 'score', 'properties');
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const values: Record<string, unknown>[] = [];
    for (const r of rows) {
      let properties: unknown;
      try {
        properties = JSON.parse(r.properties ?? '{}');
      } catch {
        continue;
      }
      if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) continue;
      const quarter = Math.floor(Date.parse(r.answered_at) / 900_000);
      for (const [name, raw] of Object.entries(properties)) {
        const value = valueText(raw);
        if (value !== null) values.push({ survey_id: r.survey_id, name, value, quarter, response_id: r.id, score: r.score });
      }
    }
    for (let i = 0; i < values.length; i += 150) await knex('response_values').insert(values.slice(i, i + 150));
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('response_values');
}
