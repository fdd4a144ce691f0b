import type { Knex } from 'knex';
import { cached, deepFreeze } from '../db/versioned-cache.ts';
import type { Survey } from './model.ts';

interface SurveyRow extends Omit<Survey, 'content' | 'rules' | 'touchpoint_key' | 'touchpoint_name' | 'precision_target'> {
  content: string;
  rules: string;
  precision_target: string | null;
}

const selectSurveys = (db: Knex) =>
  db('surveys')
    .join('touchpoints', 'touchpoints.id', 'surveys.touchpoint_id')
    .select('surveys.*', 'touchpoints.key as touchpoint_key', 'touchpoints.name as touchpoint_name');

const toSurvey = (row: SurveyRow & { touchpoint_key: string; touchpoint_name: string }): Survey => ({
  ...row,
  sample_rate: Number(row.sample_rate),
  // SQLite answers booleans as 0/1.
  public_link: Boolean(row.public_link),
  count_anonymous: Boolean(row.count_anonymous),
  max_event_age_days: row.max_event_age_days === null ? null : Number(row.max_event_age_days),
  content: JSON.parse(row.content),
  rules: JSON.parse(row.rules),
  precision_target: row.precision_target ? JSON.parse(row.precision_target) : null,
});

export async function findSurveyByKey(db: Knex, key: string): Promise<Survey | undefined> {
  const row = await selectSurveys(db).where('surveys.key', key).first();
  return row ? toSurvey(row) : undefined;
}

export async function findSurveyById(db: Knex, id: number): Promise<Survey | undefined> {
  const row = await selectSurveys(db).where('surveys.id', id).first();
  return row ? toSurvey(row) : undefined;
}

export async function listSurveys(db: Knex): Promise<Survey[]> {
  const rows = await selectSurveys(db).orderBy(['touchpoints.key', 'surveys.key']);
  return rows.map(toSurvey);
}

/**
 * The survey that answers a touchpoint's events: at most one is active per touchpoint. Kept in the
 * process until a survey or touchpoint changes (server/db/versioned-cache.ts): shared and frozen.
 */
export function findActiveSurveyForTouchpoint(db: Knex, touchpointId: number): Promise<Survey | undefined> {
  return cached(
    db,
    'surveys',
    async () => {
      const row = await selectSurveys(db).where({ 'surveys.touchpoint_id': touchpointId, 'surveys.status': 'active' }).first();
      return row ? deepFreeze(toSurvey(row)) : undefined;
    },
    { key: `active:${touchpointId}` },
  );
}

/**
 * A survey by id for a reader that only reads it (the sending worker, for every invitation): kept in the
 * process as the active surveys are, shared and frozen.
 */
export function findSharedSurveyById(db: Knex, id: number): Promise<Survey | undefined> {
  return cached(
    db,
    'surveys',
    async () => {
      const row = await selectSurveys(db).where('surveys.id', id).first();
      return row ? deepFreeze(toSurvey(row)) : undefined;
    },
    { key: `id:${id}`, keep: (survey) => survey !== undefined },
  );
}

/** A touchpoint by its key, kept in the process as the active surveys are (an unknown key is not kept). */
export function findTouchpointByKey(db: Knex, key: string): Promise<{ id: number; key: string; name: string } | undefined> {
  return cached(db, 'surveys', async () => deepFreeze(await db('touchpoints').where({ key }).first()), { key: `touchpoint:${key}`, keep: (row) => row !== undefined });
}

export const listTouchpoints = (db: Knex): Promise<{ id: number; key: string; name: string }[]> =>
  db('touchpoints').orderBy('key');
