import type { Knex } from 'knex';

/**
 * The invitations the fatigue page reads: those that went out (sent_at set: emailed, or shown by the
 * widget; later states keep it), never test invitations. Answered: the invitation's responded_at, set by
 * its first settled answer (held and discarded answers leave it empty), as the metrics count it.
 */

/** Which invitations: sent in [from, to), of these surveys (null: all). */
export interface SentScope {
  surveyIds: number[] | null;
  fromIso: string;
  toIso: string;
}

const sent = (q: Knex.QueryBuilder, prefix = ''): Knex.QueryBuilder => q.whereNotNull(`${prefix}sent_at`).andWhere(`${prefix}is_test`, false);

/** The next customers (by id, after `afterId`) sent an invitation in the scope. */
export async function customersSentTo(db: Knex, scope: SentScope, afterId: number, limit: number): Promise<number[]> {
  const q = sent(db('invitations'))
    .andWhere('sent_at', '>=', scope.fromIso)
    .andWhere('sent_at', '<', scope.toIso)
    .andWhere('customer_id', '>', afterId)
    .distinct('customer_id')
    .orderBy('customer_id')
    .limit(limit);
  if (scope.surveyIds) q.whereIn('survey_id', scope.surveyIds);
  const rows: { customer_id: number }[] = await q;
  return rows.map((r) => Number(r.customer_id));
}

/** One sent invitation of a customer's history. */
export interface SentRow {
  id: number;
  customer_id: number;
  survey_id: number;
  sent_at: string;
  responded_at: string | null;
  /** The value of the chosen property of its event (invitation_values); null when it has none or none was chosen. */
  segment_value: string | null;
}

/**
 * Every invitation sent to these customers in [sinceIso, toIso), of any survey, in order of customer and
 * time: the page counts each one's earlier invitations from them. With a property name, the value its
 * event had (from invitation_values, one row per sent invitation and property).
 */
export async function sentHistory(db: Knex, customerIds: number[], sinceIso: string, toIso: string, segment: string | null): Promise<SentRow[]> {
  const q = sent(db('invitations as i'), 'i.')
    .whereIn('i.customer_id', customerIds)
    .andWhere('i.sent_at', '>=', sinceIso)
    .andWhere('i.sent_at', '<', toIso)
    .orderBy([{ column: 'i.customer_id' }, { column: 'i.sent_at' }, { column: 'i.id' }])
    .select('i.id', 'i.customer_id', 'i.survey_id', 'i.sent_at', 'i.responded_at');
  if (segment) {
    q.leftJoin('invitation_values as v', function () {
      this.on('v.invitation_id', '=', 'i.id').andOnVal('v.name', '=', segment);
    }).select({ segment_value: 'v.value' });
  } else q.select(db.raw('null as segment_value'));
  const rows: SentRow[] = await q;
  return rows.map((r) => ({ ...r, id: Number(r.id), customer_id: Number(r.customer_id), survey_id: Number(r.survey_id), segment_value: r.segment_value ?? null }));
}

/** The event properties of the newest invitations sent in the scope (to offer segments). */
export async function recentSentProperties(db: Knex, scope: SentScope, limit: number): Promise<string[]> {
  const q = sent(db('invitations as i'), 'i.')
    .join('events as e', 'e.id', 'i.event_id')
    .andWhere('i.sent_at', '>=', scope.fromIso)
    .andWhere('i.sent_at', '<', scope.toIso)
    // Newest first by id (the primary key: no sort over the whole period).
    .orderBy('i.id', 'desc')
    .limit(limit)
    .select('e.properties');
  if (scope.surveyIds) q.whereIn('i.survey_id', scope.surveyIds);
  const rows: { properties: string | null }[] = await q;
  return rows.map((r) => r.properties ?? '{}');
}
