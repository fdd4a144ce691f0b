import type { Knex } from 'knex';

/**
 * The funnel and response rates under filters on several properties (issue 13), as response_values does for
 * the scores: one row per sent invitation and property value of its event (with the UTC quarter-hour it was
 * sent in and whether it was answered), and one per event and property value (with the quarter-hour it
 * arrived in). Filters intersect them by invitation or event without reading either. Kept as invitations
 * are sent and answered (rollups/sends.ts) and as events are stored (rollups/events.ts).
 *
 * Filled from what is stored, with the segment rollup's rule for values (server/rollups/segments.ts,
 * repeated here: migrations stand alone).
 */
const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

const valueText = (value: unknown): string | null => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return null;
};

const pairsOf = (properties: string | null): [string, string][] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(properties ?? '{}');
  } catch {
    return [];
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  const pairs: [string, string][] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    const value = valueText(raw);
    if (value !== null) pairs.push([name, value]);
  }
  return pairs;
};

const quarterOf = (at: string) => Math.floor(Date.parse(at) / 900_000);

/** Runs `rows` of each page of `query` (by id) through `toValues` and inserts what comes out. */
async function fill<R extends { id: number }>(knex: Knex, table: string, query: (after: number) => Knex.QueryBuilder, toValues: (row: R) => Record<string, unknown>[]): Promise<void> {
  for (let after = 0; ; ) {
    const rows = (await query(after).limit(2000)) as R[];
    if (rows.length === 0) return;
    after = rows[rows.length - 1].id;
    const values = rows.flatMap(toValues);
    for (let i = 0; i < values.length; i += 150) await knex(table).insert(values.slice(i, i + 150));
  }
}

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.schema.createTable('invitation_values', (t) => {
      t.integer('survey_id').notNullable().references('surveys.id');
      t.text('name').notNullable();
      t.text('value').notNullable();
      t.integer('quarter').notNullable();
      t.integer('invitation_id').notNullable().references('invitations.id');
      t.integer('responded').notNullable().defaultTo(0);
      t.primary(['survey_id', 'name', 'value', 'quarter', 'invitation_id']);
      t.index(['invitation_id']);
    });
    await knex.schema.createTable('event_values', (t) => {
      t.integer('touchpoint_id').notNullable().references('touchpoints.id');
      t.text('name').notNullable();
      t.text('value').notNullable();
      t.integer('quarter').notNullable();
      t.integer('event_id').notNullable().references('events.id');
      t.primary(['touchpoint_id', 'name', 'value', 'quarter', 'event_id']);
      t.index(['event_id']);
    });
  } else {
    await knex.raw(`CREATE TABLE invitation_values (
      survey_id integer NOT NULL REFERENCES surveys (id), name text NOT NULL, value text NOT NULL, quarter integer NOT NULL,
      invitation_id integer NOT NULL REFERENCES invitations (id), responded integer NOT NULL DEFAULT 0,
      PRIMARY KEY (survey_id, name, value, quarter, invitation_id)) WITHOUT ROWID`);
    await knex.raw('CREATE INDEX invitation_values_invitation_id_index ON invitation_values (invitation_id)');
    await knex.raw(`CREATE TABLE event_values (
      touchpoint_id integer NOT NULL REFERENCES touchpoints (id), name text NOT NULL, value text NOT NULL, quarter integer NOT NULL,
      event_id integer NOT NULL REFERENCES events (id),
      PRIMARY KEY (touchpoint_id, name, value, quarter, event_id)) WITHOUT ROWID`);
    await knex.raw('CREATE INDEX event_values_event_id_index ON event_values (event_id)');
  }
  await fill<{ id: number; survey_id: number; sent_at: string; responded_at: string | null; properties: string | null }>(
    knex,
    'invitation_values',
    (after) =>
      knex('invitations')
        .join('events', 'events.id', 'invitations.event_id')
        .whereNotNull('invitations.sent_at')
        .where('invitations.id', '>', after)
        .orderBy('invitations.id')
        .select('invitations.id', 'invitations.survey_id', 'invitations.sent_at', 'invitations.responded_at', 'events.properties'),
    (r) =>
      pairsOf(r.properties).map(([name, value]) => ({
        survey_id: r.survey_id,
        name,
        value,
        quarter: quarterOf(r.sent_at),
        invitation_id: r.id,
        responded: r.responded_at ? 1 : 0,
      })),
  );
  await fill<{ id: number; touchpoint_id: number; received_at: string; properties: string | null }>(
    knex,
    'event_values',
    (after) => knex('events').where('id', '>', after).orderBy('id').select('id', 'touchpoint_id', 'received_at', 'properties'),
    (r) => pairsOf(r.properties).map(([name, value]) => ({ touchpoint_id: r.touchpoint_id, name, value, quarter: quarterOf(r.received_at), event_id: r.id })),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('event_values');
  await knex.schema.dropTable('invitation_values');
}
