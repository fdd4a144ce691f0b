import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { writeTransaction } from '../db/dialect.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { editableUntil } from './answer-page.ts';
import { decideHeld, dueHeldAnswers, findAnswer, type AnswerRow } from './answer-queries.ts';
import { findResponseByLinkKey, findResponseForInvitation, isCustomerErased, linkClicksSince, type CurrentResponse } from './queries.ts';
import { judgeHeld, judgmentSpan } from './scanner.ts';
import { insertResponse, updateResponse, type Later, type NewResponse, type ResponseRow } from './store.ts';
import type { RespondedCounts, Sent } from '../rollups/sends.ts';
import type { Statements } from '../db/statements.ts';
import { lockInvitation, markInvitationResponded } from '../invitations/queries.ts';
import { enqueueResponseEvents } from '../webhooks/payloads.ts';

/**
 * Answers become responses here, and only here: at once for a person's answer, after the settle window
 * for a held one. A response is what the metrics, rollups, alerts and cooldowns count.
 */

/** What an answer is about: the response it would create or change. */
export type AnswerTarget = Pick<NewResponse, 'survey_id' | 'invitation_id' | 'customer_id' | 'channel' | 'source' | 'locale' | 'link_key' | 'properties'>;

/** The response an answer would change: its invitation's, or its signed link's (anonymous answers each make their own). */
async function currentResponse(db: Knex, target: AnswerTarget): Promise<CurrentResponse | undefined> {
  if (target.invitation_id) return findResponseForInvitation(db, target.invitation_id);
  if (target.link_key) return findResponseByLinkKey(db, target.link_key);
  return undefined;
}

/** Where an answer is written when the caller holds more than a knex transaction (the email link's group commit). */
interface ApplyOptions {
  /** The invitation's survey, sending time and event properties, when the caller has them (saves a read). */
  sent?: Sent;
  /** The response there is, when the caller read it once the invitation was held (null: none); absent: read here. */
  existing?: CurrentResponse | null;
  /** The transaction's prepared statements, and the counts its answers gather (written before it commits). */
  sql?: Statements;
  later?: Later & { responded: RespondedCounts };
}

/**
 * Makes an answer count, in the caller's transaction: a new response (the invitation is answered from
 * then on), or a change of the response there is while its edit window is open. Null when the window
 * had closed when the answer was given. Webhooks: in this transaction, so the response and its messages
 * commit together.
 */
export async function applyAnswer(
  trx: Knex.Transaction,
  target: AnswerTarget,
  answer: { score: number; comment: string | undefined; answeredAt: Date },
  settings: Settings,
  options: ApplyOptions = {},
): Promise<{ responseId: number; response: StoredAnswer } | null> {
  const existing = options.existing === undefined ? await currentResponse(trx, target) : (options.existing ?? undefined);
  const db = options.sql ?? trx;
  const tz = settings.reporting_time_zone;
  if (existing) {
    if (answer.answeredAt >= editableUntil(existing, settings)) return null;
    const comment = answer.comment === undefined ? existing.comment : answer.comment || null;
    await updateResponse(db, existing, { score: answer.score, comment, at: answer.answeredAt }, tz, options.later);
    await enqueueResponseEvents(trx, false, { ...target, id: existing.id, score: answer.score, comment, answered_at: existing.answered_at }, answer.answeredAt);
    return { responseId: existing.id, response: { score: answer.score, comment, answered_at: existing.answered_at } };
  }
  const comment = answer.comment || null;
  const responseId = await insertResponse(db, { ...target, score: answer.score, comment, answered_at: answer.answeredAt }, tz, options.later);
  if (target.invitation_id) await markInvitationResponded(db, target.invitation_id, answer.answeredAt, tz, options.sent, options.later?.responded);
  await enqueueResponseEvents(trx, true, { ...target, id: responseId, score: answer.score, comment, answered_at: answer.answeredAt.toISOString() }, answer.answeredAt);
  return { responseId, response: { score: answer.score, comment, answered_at: answer.answeredAt.toISOString() } };
}

/** What a page shows of a stored answer (a response, or a held answer). */
export type StoredAnswer = Pick<ResponseRow, 'score' | 'comment' | 'answered_at'>;

/** The target an answer row names. */
const targetOf = (a: AnswerRow): AnswerTarget => ({
  survey_id: a.survey_id,
  invitation_id: a.invitation_id,
  customer_id: a.customer_id,
  channel: a.channel,
  source: a.source,
  locale: a.locale,
  link_key: a.link_key,
  properties: a.properties ? JSON.parse(a.properties) : {},
});

export interface SettleResult {
  settled: number[];
  discarded: number[];
}

/** At most this many held answers per pass; the next pass takes the rest. */
const SETTLE_BATCH = 200;

/**
 * One pass of the worker: every held answer whose settle window has passed is judged again over what its
 * invitation's links saw, before and after it, and either settles (counts from now on, dated when it was
 * given) or is discarded as automated. Each in its own transaction; two workers never settle one twice.
 */
export async function settleDueAnswers(deps: Deps, limit = SETTLE_BATCH): Promise<SettleResult> {
  const result: SettleResult = { settled: [], discarded: [] };
  const now = deps.clock.now();
  const due = await dueHeldAnswers(deps.db, now, limit);
  if (!due.length) return result;
  const settings = await getSettings(deps.db);
  const windowMs = deps.config.answerSettleSeconds * 1000;
  for (const { id } of due) {
    const outcome = await writeTransaction(deps.db, (trx) => settleHeld(trx, id, now, settings, windowMs));
    if (outcome) result[outcome].push(id);
  }
  if (result.settled.length || result.discarded.length) deps.log.info({ settled: result.settled.length, discarded: result.discarded.length }, 'held answers decided');
  return result;
}

async function settleHeld(trx: Knex.Transaction, id: number, now: Date, settings: Settings, windowMs: number): Promise<keyof SettleResult | null> {
  const first = await findAnswer(trx, id);
  if (!first || first.state !== 'held') return null;
  // Answers of one invitation are decided one at a time (the same lock the answer page takes).
  if (first.invitation_id) await lockInvitation(trx, first.invitation_id, now);
  const held = await findAnswer(trx, id);
  if (!held || held.state !== 'held') return null;
  const discard = async (reason: Parameters<typeof decideHeld>[3]) => {
    await decideHeld(trx, [id], 'discarded', reason, now);
    return 'discarded' as const;
  };
  if (held.customer_id && (await isCustomerErased(trx, held.customer_id))) return discard('erased');
  const answeredAt = new Date(held.answered_at);
  if (held.invitation_id) {
    const answer = { score: held.score, at: answeredAt, openedAt: held.opened_at ? new Date(held.opened_at) : null };
    const span = judgmentSpan(answer, windowMs);
    const clicks = (await linkClicksSince(trx, held.invitation_id, span.from, span.until)).map((c) => ({ ...c, at: new Date(c.at) }));
    const signal = judgeHeld(answer, clicks, windowMs);
    if (signal) return discard(signal);
  }
  const applied = await applyAnswer(trx, targetOf(held), { score: held.score, comment: held.comment ?? undefined, answeredAt }, settings);
  if (!applied) return discard('closed');
  await decideHeld(trx, [id], 'settled', 'settle_window', now, applied.responseId);
  return 'settled';
}
