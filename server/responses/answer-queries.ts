import type { Knex } from 'knex';
import { toDbTime } from '../db/time.ts';
import { statementsFor, type Statements } from '../db/statements.ts';
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

const answerColumns = [
  'survey_id', 'invitation_id', 'customer_id', 'response_id', 'score', 'comment', 'channel', 'source', 'locale', 'state', 'reason', 'trigger', 'input',
  'open_id', 'opened_at', 'seconds_since_sent', 'user_agent', 'link_key', 'properties', 'answered_at', 'settles_at', 'decided_at',
] as const;
// Every field of a new answer has its column (a field left out would be dropped without a word).
const allColumns: Exclude<keyof NewAnswer, (typeof answerColumns)[number]> extends never ? true : never = true;
void allColumns;

// "trigger" is a word of SQL: the columns are quoted.
const insertText = `INSERT INTO answers (${answerColumns.map((c) => `"${c}"`).join(', ')}) VALUES (${answerColumns.map(() => '?').join(', ')}) RETURNING id`;

/** Writes an answer into the ledger, in the caller's transaction (its prepared statements, or a knex transaction's); its id. */
export async function insertAnswer(db: Statements | Knex.Transaction, answer: NewAnswer): Promise<number> {
  const sql = await statementsFor(db);
  const row: Record<(typeof answerColumns)[number], string | number | null> = {
    survey_id: answer.survey_id,
    invitation_id: answer.invitation_id,
    customer_id: answer.customer_id,
    response_id: answer.response_id ?? null,
    score: answer.score,
    comment: answer.comment,
    channel: answer.channel,
    source: answer.source,
    locale: answer.locale,
    state: answer.state,
    reason: answer.reason,
    trigger: answer.trigger,
    input: answer.input,
    open_id: answer.open_id,
    opened_at: answer.opened_at ? toDbTime(answer.opened_at) : null,
    seconds_since_sent: answer.seconds_since_sent,
    user_agent: answer.user_agent ? answer.user_agent.slice(0, 300) : null,
    link_key: answer.link_key,
    properties: answer.properties ? JSON.stringify(answer.properties) : null,
    answered_at: toDbTime(answer.answered_at),
    settles_at: answer.settles_at ? toDbTime(answer.settles_at) : null,
    decided_at: answer.state === 'held' ? null : toDbTime(answer.answered_at),
  };
  const [inserted] = await sql.rows<{ id: number }>(insertText, answerColumns.map((column) => row[column]));
  return Number(inserted.id);
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
 * their place, or showed them to be a scanner's. One statement, in the answer's transaction (its prepared
 * statements, or a knex transaction's).
 */
export async function discardOtherHeld(db: Statements | Knex.Transaction, of: { invitationId: number } | { linkKey: string }, exceptId: number, reason: AnswerReason, at: Date): Promise<number> {
  const sql = await statementsFor(db);
  const [column, key] = 'invitationId' in of ? ['invitation_id', of.invitationId] : ['link_key', of.linkKey];
  return sql.run(`UPDATE answers SET state = 'discarded', reason = ?, decided_at = ?, settles_at = NULL WHERE ${column} = ? AND state = 'held' AND id <> ?`, [
    reason,
    toDbTime(at),
    key,
    exceptId,
  ]);
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
