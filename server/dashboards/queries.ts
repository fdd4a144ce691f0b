import type { Knex } from 'knex';

/** The touchpoint's newest survey (for touchpoints with none active). */
export function latestSurveyKeyForTouchpoint(db: Knex, touchpointId: number): Promise<{ key: string } | undefined> {
  return db('surveys').where({ touchpoint_id: touchpointId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('key');
}
