import type { Knex } from 'knex';
import { NotFoundError, ValidationError } from '../errors.ts';
import { getSettings, isTimeZone } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { parsePeriod } from './range.ts';
import { responsesAfter, type ListedResponseRow } from './queries.ts';
import { answerFilter, sourceFor, type SourceChoice } from './sources.ts';

export interface ResponsesQuery {
  survey?: string;
  from?: string;
  to?: string;
  tz?: string;
  cursor?: string;
  limit: number;
  source?: SourceChoice;
}

/** A response as the API lists it: the stored row with its properties parsed. */
export type ListedResponse = Omit<ListedResponseRow, 'properties'> & { properties: Record<string, unknown> };

/** Cursors are opaque to callers: the last id of the page, base64url-encoded. */
const encodeCursor = (id: number): string => Buffer.from(`r${id}`).toString('base64url');

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const match = /^r(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw ValidationError.field('cursor', 'is not a cursor this API gave out');
  return Number(match[1]);
}

/** GET /api/v1/responses: a page of responses in id order and the cursor of the next page (null at the end). */
export async function listResponses(db: Knex, query: ResponsesQuery): Promise<{ responses: ListedResponse[]; next_cursor: string | null }> {
  const tz = query.tz || (await getSettings(db)).reporting_time_zone;
  if (!isTimeZone(tz)) throw ValidationError.field('tz', 'must be an IANA time zone such as Europe/Berlin');
  const period = parsePeriod(query.from, query.to, tz);
  const afterId = decodeCursor(query.cursor);
  let surveyId: number | null = null;
  // Every source unless asked: a list of answers shows each with its source.
  const answers = answerFilter(sourceFor(null, query.source));
  if (query.survey) {
    const survey = await findSurveyByKey(db, query.survey);
    if (!survey) throw new NotFoundError(`No survey with the key ${query.survey}`);
    surveyId = survey.id;
  }
  const rows = await responsesAfter(db, { surveyId, period, afterId, limit: query.limit + 1, answers });
  const page = rows.slice(0, query.limit);
  return {
    responses: page.map((r) => ({
      id: Number(r.id),
      survey: r.survey,
      score: Number(r.score),
      comment: r.comment,
      channel: r.channel,
      source: r.source,
      locale: r.locale,
      answered_at: r.answered_at,
      properties: JSON.parse(r.properties || '{}'),
    })),
    next_cursor: rows.length > query.limit ? encodeCursor(Number(page[page.length - 1].id)) : null,
  };
}
