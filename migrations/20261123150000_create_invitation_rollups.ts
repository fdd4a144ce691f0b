import type { Knex } from 'knex';

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
  await backfill(knex);
}

/*
 * The counts of what was there when this migration ran, written as the app counted them that day. Frozen
 * here (a migration stands alone: the app's own code may change after it).
 */

/** The reporting time zone then: the stored setting, else UTC. */
async function reportingTimeZone(knex: Knex): Promise<string> {
  const row: { value: string } | undefined = await knex('settings').where({ key: 'reporting_time_zone' }).first('value');
  return row ? (JSON.parse(row.value) as string) : 'UTC';
}

/** The (name, value) pairs of a JSON object of properties that the segment counts keep: strings, finite numbers, true/false. */
function segmentPairs(properties: string | null): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(properties ?? '{}');
  } catch {
    return [];
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  const pairs: [string, string][] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (typeof raw === 'string') pairs.push([name, raw]);
    else if (typeof raw === 'number' && Number.isFinite(raw)) pairs.push([name, String(raw)]);
    else if (typeof raw === 'boolean') pairs.push([name, raw ? 'true' : 'false']);
  }
  return pairs;
}

async function insertChunks(knex: Knex, table: string, rows: object[], columns: number): Promise<void> {
  const size = Math.floor(900 / columns);
  for (let i = 0; i < rows.length; i += size) await knex(table).insert(rows.slice(i, i + size));
}

async function backfill(knex: Knex): Promise<void> {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: await reportingTimeZone(knex), year: 'numeric', month: '2-digit', day: '2-digit' });
  const localDay = (iso: string) => day.format(new Date(iso));

  const invitations: { survey_id: number; sent_at: string; properties: string; answered: unknown }[] = await knex('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .whereNotNull('invitations.sent_at')
    .select('invitations.survey_id', 'invitations.sent_at', 'events.properties', { answered: 'invitations.responded_at' });
  const daily = new Map<string, { survey_id: number; day: string; sent: number; responded: number }>();
  const segments = new Map<string, { survey_id: number; name: string; day: string; value: string; sent: number; responded: number }>();
  for (const inv of invitations) {
    const survey_id = Number(inv.survey_id);
    const d = localDay(inv.sent_at);
    const responded = inv.answered !== null && inv.answered !== undefined ? 1 : 0;
    const k = `${survey_id}|${d}`;
    const row = daily.get(k) ?? daily.set(k, { survey_id, day: d, sent: 0, responded: 0 }).get(k)!;
    row.sent++;
    row.responded += responded;
    for (const [name, value] of segmentPairs(inv.properties)) {
      const sk = JSON.stringify([survey_id, name, d, value]);
      const s = segments.get(sk) ?? segments.set(sk, { survey_id, name, day: d, value, sent: 0, responded: 0 }).get(sk)!;
      s.sent++;
      s.responded += responded;
    }
  }
  await insertChunks(knex, 'invitation_daily', [...daily.values()], 4);
  await insertChunks(knex, 'invitation_segment_daily', [...segments.values()], 6);

  const events: { touchpoint_id: number; received_at: string; properties: string }[] = await knex('events').select('touchpoint_id', 'received_at', 'properties');
  const eventRows = new Map<string, { touchpoint_id: number; name: string; day: string; value: string; count: number }>();
  for (const e of events) {
    const touchpoint_id = Number(e.touchpoint_id);
    const d = localDay(e.received_at);
    for (const [name, value] of segmentPairs(e.properties)) {
      const k = JSON.stringify([touchpoint_id, name, d, value]);
      (eventRows.get(k) ?? eventRows.set(k, { touchpoint_id, name, day: d, value, count: 0 }).get(k)!).count++;
    }
  }
  await insertChunks(knex, 'event_segment_daily', [...eventRows.values()], 5);
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
