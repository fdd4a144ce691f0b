import type { Knex } from 'knex';
import { toCount } from '../db/dialect.ts';
import type { Period } from '../metrics/range.ts';
import { inPeriodAt, matchingProperties } from '../metrics/queries.ts';
import type { PropertyFilter } from '../metrics/property-filter.ts';

/** The touchpoint's newest survey (for touchpoints with none active). */
export function latestSurveyKeyForTouchpoint(db: Knex, touchpointId: number): Promise<{ key: string } | undefined> {
  return db('surveys').where({ touchpoint_id: touchpointId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('key');
}

/** The properties of the survey's newest responses in the period (to offer segments and filters). */
export async function recentProperties(db: Knex, surveyId: number, period: Period, limit: number): Promise<string[]> {
  const q = inPeriodAt(db('responses').where({ survey_id: surveyId }).select('properties').orderBy('answered_at', 'desc').limit(limit), 'answered_at', period);
  const rows: { properties: string }[] = await q;
  return rows.map((r) => r.properties);
}

export interface CommentFilter {
  where: PropertyFilter[];
  minScore: number | null;
  maxScore: number | null;
  /** Matched case-insensitively anywhere in the comment; % and _ are literal. */
  text: string | null;
}

/** `%text%` for LIKE … ESCAPE '\', with the wildcards of the text itself escaped. */
export const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function commentsQuery(db: Knex, surveyId: number, period: Period, filter: CommentFilter): Knex.QueryBuilder {
  const q = inPeriodAt(db('responses').where({ survey_id: surveyId }).whereNotNull('comment').whereNot('comment', ''), 'answered_at', period);
  if (filter.minScore !== null) q.where('score', '>=', filter.minScore);
  if (filter.maxScore !== null) q.where('score', '<=', filter.maxScore);
  if (filter.text) q.whereRaw("lower(comment) like ? escape '\\'", [likePattern(filter.text)]);
  return matchingProperties(db, q, 'properties', filter.where);
}

/** A comment with its score and the properties of its answer. */
export interface CommentRow {
  id: number;
  score: number;
  comment: string;
  locale: string | null;
  answered_at: string;
  properties: string;
}

const newestComments = (db: Knex, surveyId: number, period: Period, filter: CommentFilter, limit: number): Promise<CommentRow[]> =>
  commentsQuery(db, surveyId, period, filter)
    .select('id', 'score', 'comment', 'locale', 'answered_at', 'properties')
    .orderBy([{ column: 'answered_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(limit);

/** The newest comments that match, and how many match in all. */
export async function matchingComments(
  db: Knex,
  surveyId: number,
  period: Period,
  filter: CommentFilter,
  limit: number,
): Promise<{ total: number; rows: CommentRow[] }> {
  const [count] = await commentsQuery(db, surveyId, period, filter).count({ n: '*' });
  return { total: toCount(count?.n), rows: await newestComments(db, surveyId, period, filter, limit) };
}

/** The newest comments of the period whose answer matches `where` (the overview's cards, the digest). */
export const latestComments = (db: Knex, surveyId: number, period: Period, limit: number, where: PropertyFilter[] = []): Promise<CommentRow[]> =>
  newestComments(db, surveyId, period, { where, minScore: null, maxScore: null, text: null }, limit);
