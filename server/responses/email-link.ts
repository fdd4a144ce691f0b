import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import type { FieldError } from '../errors.ts';
import { writeTogether } from '../db/group-commit.ts';
import { toDbTime } from '../db/time.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { findSharedSurveyById } from '../surveys/queries.ts';
import { wordingFor, type Survey, type Wording } from '../surveys/model.ts';
import type { Locale } from '../i18n/index.ts';
import { hashToken } from '../tokens.ts';
import { asLocale, editableUntil, formValues, parseAnswer, parseProperties, scoreOnScale, type ParsedAnswer, type SurveyPage } from './answer-page.ts';
import { discardOtherHeld, insertAnswer, latestHeldAnswer, type AnswerState, type NewAnswer } from './answer-queries.ts';
import { isPerson, judgeHeld, type ScannerSignal } from './scanner.ts';
import { applyAnswer, type AnswerTarget, type StoredAnswer } from './settle.ts';
import { findOpen, findResponseForInvitation, insertLinkClick, linkClicksSince } from './queries.ts';
import { findInvitationByTokenHash, lockInvitation, type InvitationForLink } from '../invitations/queries.ts';

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

async function findLink(deps: Deps, token: string, options: { held?: boolean } = {}): Promise<Link | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const invitation = await findInvitationByTokenHash(deps.db, hashToken(token));
  // Links of invitations never sent were never given to anyone.
  if (!invitation || invitation.state === 'scheduled' || invitation.state === 'suppressed') return null;
  const survey = await findSharedSurveyById(deps.db, invitation.survey_id);
  if (!survey) return null;
  const [settings, response, held] = await Promise.all([
    getSettings(deps.db),
    findResponseForInvitation(deps.db, invitation.id),
    // An answer being posted does not show the held one: it replaces it.
    options.held === false ? undefined : latestHeldAnswer(deps.db, { invitationId: invitation.id }),
  ]);
  const { locale, wording } = wordingFor(survey, invitation.locale);
  return { invitation, survey, locale: asLocale(locale), wording, response, held, timeZone: invitation.customer_time_zone || settings.reporting_time_zone, settings };
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
 * The link of a token that can still take an answer, with the time it was opened; else what the page
 * shows instead: unknown, gone (erased), the answer once its edit window has closed, or expired.
 */
async function openLink(deps: Deps, token: string, options: { held?: boolean } = {}): Promise<{ link: Link; now: Date } | LinkOutcome> {
  const link = await findLink(deps, token, options);
  if (!link) return { kind: 'unknown' };
  if (link.invitation.customer_erased_at) return { kind: 'gone', locale: link.locale };
  const now = deps.clock.now();
  if (link.response && (isClosed(link, now) || isExpired(link, now))) return { kind: 'closed', page: pageFor(link, now) };
  if (isExpired(link, now)) return { kind: 'expired', locale: link.locale };
  return { link, now };
}

/** GET of an email link: the survey page with the linked score selected. It records an open (scanners open every link), never an answer. */
export async function openInvitationPage(deps: Deps, token: string, query: { score?: unknown; userAgent?: string | null; record?: boolean }): Promise<LinkOutcome> {
  const opened = await openLink(deps, token);
  if ('kind' in opened) return opened;
  const { link, now } = opened;
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
export function answerInvitation(deps: Deps, token: string, body: Record<string, unknown>, userAgent: string | null): Promise<LinkOutcome> {
  // One transaction from the first read to the last write: the connection is taken once (on SQLite the
  // only one: a request that took it again and again would queue again and again under load), and shared
  // with the answers that arrive meanwhile (group commit: one commit for them all, each in its savepoint).
  return writeTogether(deps.db, (trx) => answerInside({ ...deps, db: trx }, trx, token, body, userAgent));
}

async function answerInside(deps: Deps, trx: Knex.Transaction, token: string, body: Record<string, unknown>, userAgent: string | null): Promise<LinkOutcome> {
  const opened = await openLink(deps, token, { held: false });
  if ('kind' in opened) return opened;
  const { link, now } = opened;
  const parsed = parseAnswer(link.survey, link.locale, body);
  if (parsed.errors.length) return { kind: 'invalid', page: pageFor(link, now, formValues(parsed, body)), errors: parsed.errors };
  const open = parsed.openId === null ? undefined : await findOpen(deps.db, link.invitation.id, parsed.openId);
  const windowMs = deps.config.answerSettleSeconds * 1000;
  const decided = await storeAnswer(trx, link, parsed, { now, openedAt: open ? new Date(open.at) : null, userAgent, windowMs });
  if (decided.state === 'discarded') {
    deps.log.info({ invitationId: link.invitation.id, signal: decided.reason, trigger: parsed.evidence.trigger }, 'answer discarded as automated');
  }
  // The page shows what is stored now: what this answer stored, else (rarely) what the link holds.
  switch (decided.state) {
    case 'settled':
      return { kind: 'saved', state: 'settled', page: pageFor({ ...link, response: decided.response, held: undefined }, now) };
    case 'held':
      return { kind: 'saved', state: 'held', page: pageFor({ ...link, held: decided.held }, now) };
    case 'closed':
      return { kind: 'closed', page: pageFor((await findLink(deps, token))!, now) };
    case 'discarded':
      return {
        kind: 'discarded',
        signal: decided.reason,
        page: pageFor((await findLink(deps, token))!, now, { ...formValues(parsed, body), selected: parsed.score, notice: 'confirm' }),
      };
  }
}

type Stored =
  | { state: 'settled'; response: StoredAnswer }
  | { state: 'held'; held: StoredAnswer }
  | { state: 'closed' }
  | { state: 'discarded'; reason: ScannerSignal };

async function storeAnswer(
  trx: Knex.Transaction,
  link: Link,
  parsed: ParsedAnswer,
  at: { now: Date; openedAt: Date | null; userAgent: string | null; windowMs: number },
): Promise<Stored> {
  const { invitation, settings } = link;
  const { now } = at;
  await lockInvitation(trx, invitation.id, now);
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
    await insertAnswer(trx, answer('discarded', 'test'));
    return { state: 'settled', response: { score, comment: parsed.comment ?? null, answered_at: toDbTime(now) } };
  }

  if (isPerson(parsed.evidence)) {
    const sent = invitation.sent_at ? { survey_id: invitation.survey_id, sent_at: invitation.sent_at, properties: invitation.event_properties ?? '{}' } : undefined;
    const applied = await applyAnswer(trx, target, { score, comment: parsed.comment, answeredAt: now }, settings, sent);
    if (!applied) {
      await insertAnswer(trx, answer('discarded', 'closed'));
      return { state: 'closed' };
    }
    const id = await insertAnswer(trx, { ...answer('settled', 'person'), response_id: applied.responseId });
    await discardOtherHeld(trx, of, id, 'replaced', now);
    return { state: 'settled', response: applied.response };
  }

  // Held: unless what the links saw so far already gives a scanner away.
  const held = { score, at: now, openedAt: at.openedAt };
  const clicks = (await linkClicksSince(trx, invitation.id, new Date(Math.min(at.openedAt?.getTime() ?? now.getTime(), now.getTime()) - at.windowMs), now)).map((c) => ({ ...c, at: new Date(c.at) }));
  const signal = judgeHeld(held, clicks, at.windowMs);
  if (signal) {
    const id = await insertAnswer(trx, answer('discarded', signal));
    // The held answers among them go too: they were the same scanner's.
    await discardOtherHeld(trx, of, id, signal, now);
    return { state: 'discarded', reason: signal };
  }
  const response = await findResponseForInvitation(trx, invitation.id);
  if (response && now >= editableUntil(response, settings)) {
    await insertAnswer(trx, answer('discarded', 'closed'));
    return { state: 'closed' };
  }
  const id = await insertAnswer(trx, answer('held', 'held', new Date(now.getTime() + at.windowMs)));
  await discardOtherHeld(trx, of, id, 'replaced', now);
  return { state: 'held', held: { score, comment: parsed.comment ?? null, answered_at: now.toISOString() } };
}
