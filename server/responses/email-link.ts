import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import type { FieldError } from '../errors.ts';
import { writeTransaction } from '../db/dialect.ts';
import { groupCommitter } from '../db/group-commit.ts';
import { statementsOf, type Statements } from '../db/statements.ts';
import { toDbTime } from '../db/time.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { findSharedSurveyById } from '../surveys/queries.ts';
import { wordingFor, type Survey, type Wording } from '../surveys/model.ts';
import type { Locale } from '../i18n/index.ts';
import { hashToken } from '../tokens.ts';
import { asLocale, editableUntil, formValues, parseAnswer, parseProperties, scoreOnScale, type ParsedAnswer, type SurveyPage } from './answer-page.ts';
import { discardOtherHeld, insertAnswer, latestHeldAnswer, type AnswerState, type NewAnswer } from './answer-queries.ts';
import { isPerson, judgeHeld, type ScannerSignal, type Trigger } from './scanner.ts';
import { applyAnswer, type AnswerTarget, type StoredAnswer } from './settle.ts';
import type { Later } from './store.ts';
import { findLinkForAnswer, findOpen, findResponseForInvitation, insertLinkClick, linkClicksSince, type CurrentResponse } from './queries.ts';
import { findInvitationByTokenHash, holdInvitationOfToken, lockInvitation, type InvitationForLink } from '../invitations/queries.ts';
import { ResponseCounts } from '../rollups/responses.ts';
import { ResponseValues } from '../rollups/response-values.ts';
import { RespondedCounts } from '../rollups/sends.ts';

/**
 * The email's links (/r/:token): opening one records an open and shows the survey page with its score
 * chosen; the page's post is an answer, stored with its evidence, settled at once when a person sent
 * it, else held (DESIGN.md, "Responses: held, settled, never silently lost").
 */

export type LinkOutcome =
  | { kind: 'unknown'; locale?: undefined }
  | { kind: 'expired'; locale: Locale }
  /** The customer was erased: the link answers nothing. */
  | { kind: 'gone'; locale: Locale }
  /** Answered, and the edit window has closed: the page shows the answer. */
  | { kind: 'closed'; page: SurveyPage }
  | { kind: 'form'; page: SurveyPage }
  | { kind: 'invalid'; page: SurveyPage; errors: FieldError[] }
  /** Stored: settled (counts), or held (counts once it settles). */
  | { kind: 'saved'; page: SurveyPage; state: Exclude<AnswerState, 'discarded'> }
  /** Stored as automated, not counted: the page asks the person to confirm with Send. */
  | { kind: 'discarded'; page: SurveyPage; signal: ScannerSignal };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;

interface Link {
  invitation: InvitationForLink;
  survey: Survey;
  locale: Locale;
  wording: Wording;
  /** The settled answer. */
  response: StoredAnswer | undefined;
  /** The newest held answer, while nothing newer is settled. */
  held: StoredAnswer | undefined;
  timeZone: string;
  settings: Settings;
}

/** The link of an invitation found by its token: its survey and the settings from the process's cache (read through `db`). */
async function linkOf(db: Knex, invitation: InvitationForLink | undefined, response: StoredAnswer | undefined, held: StoredAnswer | undefined): Promise<Link | null> {
  // Links of invitations never sent were never given to anyone.
  if (!invitation || invitation.state === 'scheduled' || invitation.state === 'suppressed') return null;
  const survey = await findSharedSurveyById(db, invitation.survey_id);
  if (!survey) return null;
  const settings = await getSettings(db);
  const { locale, wording } = wordingFor(survey, invitation.locale);
  return { invitation, survey, locale: asLocale(locale), wording, response, held, timeZone: invitation.customer_time_zone || settings.reporting_time_zone, settings };
}

/** The link of a token as its page shows it: with its response and newest held answer. */
async function findLink(db: Knex, token: string): Promise<Link | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const invitation = await findInvitationByTokenHash(db, hashToken(token));
  if (!invitation || invitation.state === 'scheduled' || invitation.state === 'suppressed') return null;
  const [response, held] = await Promise.all([findResponseForInvitation(db, invitation.id), latestHeldAnswer(db, { invitationId: invitation.id })]);
  return linkOf(db, invitation, response, held);
}

const isExpired = (link: Link, now: Date) =>
  link.invitation.state === 'expired' || (link.invitation.expires_at !== null && link.invitation.expires_at < now.toISOString());

const isClosed = (link: Link, now: Date) => link.response !== undefined && now >= editableUntil(link.response, link.settings);

/** The answer the page shows: a held one (always newer than the settled one: a person's answer replaces those held before it), else the settled one. */
function shownAnswer(link: Link, now: Date): SurveyPage['answer'] {
  const { held, response } = link;
  const r = held ? { score: held.score, comment: held.comment ?? response?.comment ?? null, answered_at: response?.answered_at ?? held.answered_at } : response;
  if (!r) return null;
  const until = editableUntil(r, link.settings);
  return { score: r.score, comment: r.comment, editableUntil: now >= until ? null : until };
}

function pageFor(link: Link, now: Date, overrides: Partial<SurveyPage> = {}): SurveyPage {
  const answer = shownAnswer(link, now);
  return {
    locale: link.locale,
    survey: link.survey,
    wording: link.wording,
    selected: answer?.score ?? null,
    comment: answer?.comment ?? '',
    autosave: false,
    openId: null,
    answer,
    timeZone: link.timeZone,
    ...overrides,
  };
}

/**
 * Whether a link can still take an answer at `now`; else what the page shows instead: unknown, gone
 * (erased), the answer once its edit window has closed, or expired.
 */
function refusal(link: Link | null, now: Date): LinkOutcome | null {
  if (!link) return { kind: 'unknown' };
  if (link.invitation.customer_erased_at) return { kind: 'gone', locale: link.locale };
  if (link.response && (isClosed(link, now) || isExpired(link, now))) return { kind: 'closed', page: pageFor(link, now) };
  if (isExpired(link, now)) return { kind: 'expired', locale: link.locale };
  return null;
}

/** GET of an email link: the survey page with the linked score selected. It records an open (scanners open every link), never an answer. */
export async function openInvitationPage(deps: Deps, token: string, query: { score?: unknown; userAgent?: string | null; record?: boolean }): Promise<LinkOutcome> {
  const link = await findLink(deps.db, token);
  const now = deps.clock.now();
  const refused = refusal(link, now);
  if (refused || !link) return refused ?? { kind: 'unknown' };
  const score = scoreOnScale(link.survey, query.score);
  let openId: number | null = null;
  if (query.record !== false) {
    openId = await insertLinkClick(deps.db, { invitation_id: link.invitation.id, kind: 'open', score, at: now, user_agent: query.userAgent ?? null });
  }
  const page = pageFor(link, now, { openId, autosave: score !== null });
  if (score !== null) page.selected = score;
  return { kind: 'form', page };
}

/** GET of the hidden trap link that only machines follow. An erased customer's link stores nothing. */
export async function recordTrapClick(deps: Deps, token: string, userAgent: string | null): Promise<'recorded' | 'gone' | 'unknown'> {
  if (!TOKEN_SHAPE.test(token)) return 'unknown';
  const invitation = await findInvitationByTokenHash(deps.db, hashToken(token));
  if (!invitation) return 'unknown';
  if (invitation.customer_erased_at) return 'gone';
  await insertLinkClick(deps.db, { invitation_id: invitation.id, kind: 'trap', score: null, at: deps.clock.now(), user_agent: userAgent });
  return 'recorded';
}

/**
 * POST of an answer from the page. Every answer is stored. A person's answer (Send after input) counts
 * at once and replaces any held one; any other is held for the settle window, or discarded at once when
 * the invitation's other score links or trap link were already hit around it.
 */
export async function answerInvitation(deps: Deps, token: string, body: Record<string, unknown>, userAgent: string | null): Promise<LinkOutcome> {
  const posted: Posted = { deps, token, body, userAgent };
  // Inside a caller's transaction: a savepoint of it (a group is of whole transactions).
  const { outcome, discarded } = deps.db.isTransaction ? await answerTransaction(deps.db, (here) => answerInside(posted, here)) : await joinAnswers(deps.db, posted);
  if (discarded) deps.log.info(discarded, 'answer discarded as automated');
  return outcome;
}

interface Posted {
  deps: Deps;
  token: string;
  body: Record<string, unknown>;
  userAgent: string | null;
}

/** An answer's outcome, and what is logged of it once committed. */
interface Answered {
  outcome: LinkOutcome;
  discarded?: { invitationId: number; signal: ScannerSignal; trigger: Trigger };
}

/** Where answers are stored: their transaction, its statements, and the rollup counts they gather. */
interface Here {
  /** The knex transaction: what the process's caches read through it (the survey, the settings, the webhook endpoints: nothing while they are unchanged), the rarer reads. */
  trx: Knex.Transaction;
  /** Its connection's prepared statements: everything an answer reads and writes. */
  sql: Statements;
  /** What the answers of the transaction count (rollups, property values), written together before it commits. */
  later: Later & { responded: RespondedCounts };
}

/**
 * An answer's write transaction (or a group's): the connection is taken once (on SQLite the only one: a
 * request that took it again and again would queue again and again under load), on SQLite with the write
 * lock first (writeTransaction), so the reads inside see the latest commit; what its answers count
 * (rollups, property values) is written last, one statement per table.
 */
const answerTransaction = <T>(db: Knex, fn: (here: Here) => Promise<T>): Promise<T> =>
  writeTransaction(db, async (trx) => {
    const here: Here = { trx, sql: await statementsOf(trx), later: { counts: new ResponseCounts(), values: new ResponseValues(), responded: new RespondedCounts() } };
    const result = await fn(here);
    await here.later.values.write(here.sql);
    await here.later.counts.write(here.sql);
    await here.later.responded.write(here.sql);
    return result;
  });

/**
 * Group commit (db/group-commit.ts): answers posted while others are being stored wait, and are stored
 * together, in order of arrival, in one transaction, each exactly as alone (a later answer sees what an
 * earlier one wrote); every request is answered once it has committed. A group that fails (an answer
 * throws, the database refuses) is undone whole and each of its answers stored again in a transaction of
 * its own, so each request gets its own answer or its own error.
 */
const joinAnswers = groupCommitter<Posted, Answered>({
  max: 50,
  together: (group) =>
    answerTransaction(group[0].deps.db, async (here) => {
      const outcomes: { ok: true; value: Answered }[] = [];
      for (const posted of group) outcomes.push({ ok: true, value: await answerInside(posted, here) });
      return outcomes;
    }),
  alone: (posted) => answerTransaction(posted.deps.db, (here) => answerInside(posted, here)),
});

async function answerInside({ deps, token, body, userAgent }: Posted, here: Here): Promise<Answered> {
  const { trx, sql } = here;
  if (!TOKEN_SHAPE.test(token)) return { outcome: { kind: 'unknown' } };
  const tokenHash = hashToken(token);
  // The invitation held first, then read with its response and whether answers of it are held, in one
  // statement: as they are, whatever answered it meanwhile. An answer being posted does not show the held
  // one: it replaces it.
  await holdInvitationOfToken(sql, tokenHash);
  const found = await findLinkForAnswer(sql, tokenHash);
  const link = found ? await linkOf(trx, found.invitation, found.response, undefined) : null;
  const now = deps.clock.now();
  const refused = refusal(link, now);
  if (refused || !link || !found) return { outcome: refused ?? { kind: 'unknown' } };
  const parsed = parseAnswer(link.survey, link.locale, body);
  if (parsed.errors.length) return { outcome: { kind: 'invalid', page: pageFor(link, now, formValues(parsed, body)), errors: parsed.errors } };
  const open = parsed.openId === null ? undefined : await findOpen(sql, link.invitation.id, parsed.openId);
  const windowMs = deps.config.answerSettleSeconds * 1000;
  const decided = await storeAnswer(here, link, found, parsed, { now, openedAt: open ? new Date(open.at) : null, userAgent, windowMs });
  // The page shows what is stored now: what this answer stored, else (rarely) what the link holds.
  switch (decided.state) {
    case 'settled':
      return { outcome: { kind: 'saved', state: 'settled', page: pageFor({ ...link, response: decided.response, held: undefined }, now) } };
    case 'held':
      return { outcome: { kind: 'saved', state: 'held', page: pageFor({ ...link, held: decided.held }, now) } };
    case 'closed':
      return { outcome: { kind: 'closed', page: pageFor((await findLink(trx, token))!, now) } };
    case 'discarded':
      return {
        outcome: {
          kind: 'discarded',
          signal: decided.reason,
          page: pageFor((await findLink(trx, token))!, now, { ...formValues(parsed, body), selected: parsed.score, notice: 'confirm' }),
        },
        discarded: { invitationId: link.invitation.id, signal: decided.reason, trigger: parsed.evidence.trigger },
      };
  }
}

type Stored =
  | { state: 'settled'; response: StoredAnswer }
  | { state: 'held'; held: StoredAnswer }
  | { state: 'closed' }
  | { state: 'discarded'; reason: ScannerSignal };

async function storeAnswer(
  here: Here,
  link: Link,
  /** What the invitation holds, read once it was held: its response as it is, and whether any of its answers are held. */
  so: { response: CurrentResponse | undefined; held: boolean },
  parsed: ParsedAnswer,
  at: { now: Date; openedAt: Date | null; userAgent: string | null; windowMs: number },
): Promise<Stored> {
  const { invitation, settings } = link;
  const { sql } = here;
  const { now } = at;
  // The invitation's first answer writes its row once, as it marks it responded (which touches it too).
  const first = !invitation.is_test && isPerson(parsed.evidence) && !so.response && invitation.responded_at === null;
  if (!first) await lockInvitation(sql, invitation.id, now);
  const of = { invitationId: invitation.id };
  const target: AnswerTarget = {
    survey_id: invitation.survey_id,
    invitation_id: invitation.id,
    customer_id: invitation.customer_id,
    channel: 'email',
    source: 'invitation',
    locale: link.locale,
    link_key: null,
    properties: parseProperties(invitation.event_properties),
  };
  const score = parsed.score!;
  const sentAt = invitation.sent_at ? new Date(invitation.sent_at).getTime() : null;
  const answer = (state: NewAnswer['state'], reason: NewAnswer['reason'], settlesAt: Date | null = null): NewAnswer => ({
    survey_id: invitation.survey_id,
    invitation_id: invitation.id,
    customer_id: invitation.customer_id,
    channel: 'email',
    source: 'invitation',
    locale: link.locale,
    link_key: null,
    properties: target.properties ?? null,
    score,
    comment: parsed.comment ?? null,
    state,
    reason,
    trigger: parsed.evidence.trigger,
    input: parsed.evidence.input,
    open_id: at.openedAt ? parsed.openId : null,
    opened_at: at.openedAt,
    seconds_since_sent: sentAt === null ? null : Math.max(0, Math.round((now.getTime() - sentAt) / 1000)),
    user_agent: at.userAgent,
    answered_at: now,
    settles_at: settlesAt,
  });

  // A test (the first-run checklist's "send a test event to me"): kept in the ledger as a test, shown as
  // saved, never a response, so no figure counts it.
  if (invitation.is_test) {
    await insertAnswer(sql, answer('discarded', 'test'));
    return { state: 'settled', response: { score, comment: parsed.comment ?? null, answered_at: toDbTime(now) } };
  }

  if (isPerson(parsed.evidence)) {
    const sent = invitation.sent_at ? { survey_id: invitation.survey_id, sent_at: invitation.sent_at, properties: invitation.event_properties ?? '{}' } : undefined;
    const applied = await applyAnswer(here.trx, target, { score, comment: parsed.comment, answeredAt: now }, settings, { sent, existing: so.response ?? null, sql: here.sql, later: here.later });
    if (!applied) {
      await insertAnswer(sql, answer('discarded', 'closed'));
      return { state: 'closed' };
    }
    const id = await insertAnswer(sql, { ...answer('settled', 'person'), response_id: applied.responseId });
    if (so.held) await discardOtherHeld(sql, of, id, 'replaced', now);
    return { state: 'settled', response: applied.response };
  }

  // Held: unless what the links saw so far already gives a scanner away.
  const held = { score, at: now, openedAt: at.openedAt };
  const clicks = (await linkClicksSince(sql, invitation.id, new Date(Math.min(at.openedAt?.getTime() ?? now.getTime(), now.getTime()) - at.windowMs), now)).map((c) => ({ ...c, at: new Date(c.at) }));
  const signal = judgeHeld(held, clicks, at.windowMs);
  if (signal) {
    const id = await insertAnswer(sql, answer('discarded', signal));
    // The held answers among them go too: they were the same scanner's.
    if (so.held) await discardOtherHeld(sql, of, id, signal, now);
    return { state: 'discarded', reason: signal };
  }
  if (so.response && now >= editableUntil(so.response, settings)) {
    await insertAnswer(sql, answer('discarded', 'closed'));
    return { state: 'closed' };
  }
  const id = await insertAnswer(sql, answer('held', 'held', new Date(now.getTime() + at.windowMs)));
  if (so.held) await discardOtherHeld(sql, of, id, 'replaced', now);
  return { state: 'held', held: { score, comment: parsed.comment ?? null, answered_at: now.toISOString() } };
}

