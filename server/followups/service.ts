import { pageView, type PageView } from '../http/paging.ts';
import type { Knex } from 'knex';
import { writeTransaction } from '../db/dialect.ts';
import { enqueueWebhook } from '../webhooks/outbox.ts';
import { z } from 'zod';
import { toDbTime } from '../db/time.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { blankToUndefined, pageNumberSchema, parseInput } from '../validation.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey, listSurveys } from '../surveys/queries.ts';
import { listUsers } from '../auth/queries.ts';
import { formatInstant, type InstantFormat } from '../dates.ts';
import { t, type Locale } from '../i18n/index.ts';
import {
  deleteFollowUp,
  insertFollowUp,
  isFollowUp,
  listFollowUps,
  listOwners,
  removeOwner,
  setOwner,
  type FollowUpRow,
} from './queries.ts';

/** At most this many follow-ups on one page. */
const PAGE_SIZE = 50;
export const NOTE_MAX_LENGTH = 2000;

export const followUpQuerySchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(['open', 'done'], 'must be open or done').default('open')),
  survey: z.preprocess(blankToUndefined, z.string().trim().max(100, 'is not a survey key').optional()),
  page: pageNumberSchema,
});
export type FollowUpQuery = z.infer<typeof followUpQuerySchema>;

const noteSchema = z.object({
  note: z.string().trim().max(NOTE_MAX_LENGTH, `must be at most ${NOTE_MAX_LENGTH} characters`).default(''),
});

const ownerSchema = z.object({
  survey: z.string().trim().min(1, 'choose a survey').max(100),
  user: z.preprocess(blankToUndefined, z.coerce.number({ error: 'choose a user' }).int('choose a user').positive('choose a user').optional()),
});

interface FollowUpItem {
  responseId: number;
  survey: string;
  touchpoint: string;
  metric: string;
  score: number;
  comment: string;
  answeredAt: string;
  /** The date alone, for the list's one-line row (the time is in the row's disclosure). */
  answeredDate: string;
  answeredAtIso: string;
  customerEmail: string | null;
  customerHref: string | null;
  doneAt: string | null;
  doneBy: string | null;
  note: string | null;
}

export interface FollowUpList extends PageView {
  status: 'open' | 'done';
  survey: string | null;
  timeZone: string;
  total: number;
  /** "53 follow-ups", the number in the reader's locale. */
  totalText: string;
  items: FollowUpItem[];
}

/** The query string of page `n` of the list, with its status and survey filter. */
export function listLink(query: Pick<FollowUpQuery, 'status' | 'survey'>, n: number): string {
  const params = new URLSearchParams({ status: query.status });
  if (query.survey) params.set('survey', query.survey);
  if (n > 1) params.set('page', String(n));
  return `?${params.toString()}`;
}

const itemOf = (shown: InstantFormat) => (r: FollowUpRow): FollowUpItem => ({
  responseId: r.response_id,
  survey: r.survey_key,
  touchpoint: r.touchpoint_name,
  metric: r.metric.toUpperCase(),
  score: r.score,
  comment: r.comment,
  answeredAt: formatInstant(r.answered_at, shown),
  answeredDate: formatInstant(r.answered_at, { ...shown, style: 'date' }),
  answeredAtIso: r.answered_at,
  customerEmail: r.customer_email,
  customerHref: r.customer_external_id ? `/customers/${encodeURIComponent(r.customer_external_id)}` : null,
  doneAt: r.done_at ? formatInstant(r.done_at, shown) : null,
  doneBy: r.done_by_email,
  note: r.note,
});

/** One page of detractors' comments, open or done, newest first, times in the reporting time zone (dates in the reader's `locale`, words in the page's `lang`). */
export async function followUpList(db: Knex, query: FollowUpQuery, locale = 'en', lang: Locale = 'en'): Promise<FollowUpList> {
  const { reporting_time_zone: tz } = await getSettings(db);
  let surveyId: number | null = null;
  if (query.survey) {
    const survey = await findSurveyByKey(db, query.survey);
    if (!survey) throw ValidationError.field('survey', `There is no survey with the key ${query.survey}`);
    surveyId = survey.id;
  }
  const page = query.page ?? 1;
  const { total, rows } = await listFollowUps(db, { status: query.status, surveyId }, PAGE_SIZE, (page - 1) * PAGE_SIZE);
  return {
    status: query.status,
    survey: query.survey ?? null,
    timeZone: tz,
    total,
    totalText: t(lang, 'followups.count', { count: total }),
    items: rows.map(itemOf({ timeZone: tz, locale })),
    ...pageView(page, PAGE_SIZE, total, rows.length, (n) => listLink(query, n)),
  };
}

/** An editor followed a detractor up: who, when and what they noted. False when it was marked done already. */
export async function markFollowedUp(db: Knex, input: { responseId: number; userId: number; note: unknown }, now: Date): Promise<boolean> {
  const { note } = parseInput(noteSchema, { note: input.note ?? '' });
  if (!(await isFollowUp(db, input.responseId))) throw new NotFoundError('There is no follow-up for that response');
  return writeTransaction(db, async (trx) => {
    const marked = await insertFollowUp(trx, { response_id: input.responseId, done_at: toDbTime(now), done_by: input.userId, note });
    // Webhooks hear of it in the same transaction.
    if (marked) await enqueueWebhook(trx, 'followup.closed', now, () => ({ response_id: input.responseId, closed_at: toDbTime(now), note }));
    return marked;
  });
}

/** Back to the open list (a mistake, or more to do). */
export async function reopenFollowUp(db: Knex, responseId: number): Promise<void> {
  if (!(await isFollowUp(db, responseId))) throw new NotFoundError('There is no follow-up for that response');
  await deleteFollowUp(db, responseId);
}

export interface OwnerChoice {
  surveyKey: string;
  surveyLabel: string;
  ownerId: number | null;
  users: { value: string; label: string; selected: boolean }[];
}

/** Every survey with its owner (if any) and the active users who could own it, the choice of nobody in the page's `locale`. */
export async function ownerChoices(db: Knex, locale: Locale = 'en'): Promise<OwnerChoice[]> {
  const [surveys, owners, users] = await Promise.all([listSurveys(db), listOwners(db), listUsers(db)]);
  const ownerOf = new Map(owners.map((o) => [o.survey_id, o.user_id]));
  return surveys
    .filter((s) => s.status !== 'archived' || ownerOf.has(s.id))
    .map((s) => {
      const ownerId = ownerOf.get(s.id) ?? null;
      const candidates = users.filter((u) => !u.deactivated_at || u.id === ownerId);
      return {
        surveyKey: s.key,
        surveyLabel: `${s.touchpoint_name} · ${s.key}`,
        ownerId,
        users: [
          { value: '', label: t(locale, 'followups.nobody'), selected: ownerId === null },
          ...candidates.map((u) => ({ value: String(u.id), label: u.name ? `${u.name} <${u.email}>` : u.email, selected: u.id === ownerId })),
        ],
      };
    });
}

/** Sets or clears a survey's owner; alerts cover detractor comments from now on, never older ones. */
export async function assignOwner(db: Knex, input: unknown, now: Date): Promise<{ survey: string; owner: string | null }> {
  const { survey: key, user } = parseInput(ownerSchema, input);
  const survey = await findSurveyByKey(db, key);
  if (!survey) throw ValidationError.field('survey', `There is no survey with the key ${key}`);
  if (user === undefined) {
    await removeOwner(db, survey.id);
    return { survey: key, owner: null };
  }
  const owner = (await listUsers(db)).find((u) => u.id === user && !u.deactivated_at);
  if (!owner) throw ValidationError.field('user', 'must be an active user');
  // The same owner again keeps their start, so nothing pending is skipped.
  const current = (await listOwners(db)).find((o) => o.survey_id === survey.id);
  if (current?.user_id !== owner.id) await setOwner(db, survey.id, owner.id, toDbTime(now));
  return { survey: key, owner: owner.email };
}
