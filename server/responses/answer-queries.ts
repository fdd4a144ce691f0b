import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import type { Input, Trigger } from './scanner.ts';

/** Every answer a page posted (the `answers` table): held, settled or discarded, and why. */

const answerStates = ['held', 'settled', 'discarded'] as const;
export type AnswerState = (typeof answerStates)[number];

/** Where an answer came from: an invitation's link, a signed web link, the anonymous web link (and, for responses, an import). */
type AnswerSource = 'invitation' | 'signed' | 'anonymous';
type AnswerChannel = 'email' | 'link' | 'web';

/**
 * Why an answer is in its state: `person` (settled at once), `settle_window` (held, then settled),
 * `different_scores` and `trap_link` (discarded as automated), `replaced` (a later answer of the same
 * invitation took its place), `closed` (the edit window had closed), `erased` (the customer was erased
 * while it was held), or `held` while it waits.
 */
export type AnswerReason = 'held' | 'person' | 'settle_window' | 'different_scores' | 'trap_link' | 'replaced' | 'closed' | 'erased' | 'test';

export interface NewAnswer {
  survey_id: number;
  invitation_id: number | null;
  customer_id: number | null;
  score: number;
  comment: string | null;
  channel: AnswerChannel;
  source: AnswerSource;
  locale: string | null;
  state: AnswerState;
  reason: AnswerReason;
  trigger: Trigger;
  input: Input | null;
  open_id: number | null;
  opened_at: Date | null;
  seconds_since_sent: number | null;
  user_agent: string | null;
  link_key: string | null;
  properties: Record<string, unknown> | null;
  answered_at: Date;
  settles_at: Date | null;
  /** The response it became or changed, when settled at once. */
  response_id?: number | null;
}

export interface AnswerRow {
  id: number;
  survey_id: number;
  invitation_id: number | null;
  customer_id: number | null;
  response_id: number | null;
  score: number;
  comment: string | null;
  channel: AnswerChannel;
  source: AnswerSource;
  locale: string | null;
  state: AnswerState;
  reason: AnswerReason;
  trigger: Trigger;
  input: Input | null;
  open_id: number | null;
  opened_at: string | null;
  seconds_since_sent: number | null;
  user_agent: string | null;
  link_key: string | null;
  properties: string | null;
  answered_at: string;
  settles_at: string | null;
  decided_at: string | null;
}

export async function insertAnswer(db: Knex, answer: NewAnswer): Promise<number> {
  const [row] = await db('answers')
    .insert({
      ...answer,
      opened_at: answer.opened_at ? toDbTime(answer.opened_at) : null,
      user_agent: answer.user_agent ? answer.user_agent.slice(0, 300) : null,
      properties: answer.properties ? JSON.stringify(answer.properties) : null,
      answered_at: toDbTime(answer.answered_at),
      settles_at: answer.settles_at ? toDbTime(answer.settles_at) : null,
      decided_at: answer.state === 'held' ? null : toDbTime(answer.answered_at),
    })
    .returning('id');
  return typeof row === 'object' ? row.id : row;
}

export const findAnswer = (db: Knex, id: number): Promise<AnswerRow | undefined> => db('answers').where({ id }).first();

/** Moves answers out of `held` (only those still held: a second worker finds nothing to do). */
export async function decideHeld(db: Knex, ids: number[], state: 'settled' | 'discarded', reason: AnswerReason, at: Date, responseId: number | null = null): Promise<number> {
  if (ids.length === 0) return 0;
  return db('answers')
    .whereIn('id', ids)
    .where({ state: 'held' })
    .update({ state, reason, decided_at: toDbTime(at), settles_at: null, ...(responseId !== null ? { response_id: responseId } : {}) });
}

/**
 * Moves every other held answer of one invitation (or one signed link) out of `held`: a newer answer took
 * their place, or showed them to be a scanner's. One statement, in the answer's transaction.
 */
export async function discardOtherHeld(db: Knex, of: { invitationId: number } | { linkKey: string }, exceptId: number, reason: AnswerReason, at: Date): Promise<number> {
  const q = db('answers').where({ state: 'held' }).whereNot({ id: exceptId });
  if ('invitationId' in of) q.where({ invitation_id: of.invitationId });
  else q.where({ link_key: of.linkKey });
  return q.update({ state: 'discarded', reason, decided_at: toDbTime(at), settles_at: null });
}

/** The held answers of one invitation (or one signed link), oldest first. */
function heldAnswersOf(db: Knex, of: { invitationId: number } | { linkKey: string }): Promise<AnswerRow[]> {
  const q = db('answers').where({ state: 'held' }).orderBy('id');
  return 'invitationId' in of ? q.where({ invitation_id: of.invitationId }) : q.where({ link_key: of.linkKey });
}

/** The newest held answer of an invitation or signed link: the answer the page shows while nothing is settled. */
export async function latestHeldAnswer(db: Knex, of: { invitationId: number } | { linkKey: string }): Promise<AnswerRow | undefined> {
  const held = await heldAnswersOf(db, of);
  return held[held.length - 1];
}

/** Held answers whose settle window has passed, oldest first. */
export const dueHeldAnswers = (db: Knex, now: Date, limit: number): Promise<AnswerRow[]> =>
  db('answers').where({ state: 'held' }).where('settles_at', '<=', toDbTime(now)).orderBy('settles_at').orderBy('id').limit(limit);

/** Every answer of an invitation, in the order they came (the delivery log). */
export const answersOfInvitation = (db: Knex, invitationId: number): Promise<AnswerRow[]> =>
  db('answers').where({ invitation_id: invitationId }).orderBy('id');
