import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import type { FieldError } from '../errors.ts';
import { writeTransaction } from '../db/dialect.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { findSurveyById, findSurveyByKey } from '../surveys/queries.ts';
import { keySchema, scales, wordingFor, type Survey, type Wording } from '../surveys/model.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import { hashToken } from './tokens.ts';
import { insertResponse, updateResponse, type ResponseRow } from './store.ts';
import { judgeAnswer, JUDGMENT_REACH_MS, type ScannerSignal } from './scanner.ts';
import {
  findInvitationByTokenHash,
  findOpen,
  findResponseForInvitation,
  insertLinkClick,
  linkClicksSince,
  lockInvitation,
  markInvitationResponded,
  type InvitationForLink,
} from './queries.ts';

export const COMMENT_MAX_LENGTH = 2000;
export type Trigger = 'click' | 'auto' | 'nojs';

/** What the customer's page shows: the survey in one locale, and the answer so far. */
export interface SurveyPage {
  locale: Locale;
  survey: Survey;
  wording: Wording;
  /** The score to show selected, or none. */
  selected: number | null;
  comment: string;
  /** The page was opened from a score link: its script saves the score once a person is there. */
  autosave: boolean;
  /** The open this page was rendered for; the page sends it back with the answer. */
  openId: number | null;
  /** The stored answer, when there is one. */
  answer: { score: number; comment: string | null; editableUntil: Date | null } | null;
  /** Where the customer's time is shown. */
  timeZone: string;
}

export type LinkOutcome =
  | { kind: 'unknown'; locale?: undefined }
  | { kind: 'expired'; locale: Locale }
  /** Answered, and the edit window has closed: the page shows the answer. */
  | { kind: 'closed'; page: SurveyPage }
  | { kind: 'form'; page: SurveyPage }
  | { kind: 'invalid'; page: SurveyPage; errors: FieldError[] }
  /** Stored, or (automated) refused while looking stored. */
  | { kind: 'saved'; page: SurveyPage; automated: ScannerSignal | null };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;

const asLocale = (locale: string): Locale => pickLocale(locale);

interface Link {
  invitation: InvitationForLink;
  survey: Survey;
  locale: Locale;
  wording: Wording;
  response: ResponseRow | undefined;
  editableUntil: Date | null;
  timeZone: string;
  settings: Settings;
}

async function findLink(deps: Deps, token: string): Promise<Link | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const invitation = await findInvitationByTokenHash(deps.db, hashToken(token));
  // Links of invitations never sent were never given to anyone.
  if (!invitation || invitation.state === 'scheduled' || invitation.state === 'suppressed') return null;
  const survey = await findSurveyById(deps.db, invitation.survey_id);
  if (!survey) return null;
  const settings = await getSettings(deps.db);
  const { locale, wording } = wordingFor(survey, invitation.locale);
  const response = await findResponseForInvitation(deps.db, invitation.id);
  return {
    invitation,
    survey,
    locale: asLocale(locale),
    wording,
    response,
    editableUntil: response ? editableUntil(response, settings) : null,
    timeZone: invitation.customer_time_zone || settings.reporting_time_zone,
    settings,
  };
}

/** Until when an answer may be changed: the edit window runs from the first answer. */
const editableUntil = (response: Pick<ResponseRow, 'answered_at'>, settings: Settings) =>
  new Date(new Date(response.answered_at).getTime() + settings.edit_window_hours * 3_600_000);

const isExpired = (link: Link, now: Date) =>
  link.invitation.state === 'expired' || (link.invitation.expires_at !== null && link.invitation.expires_at < now.toISOString());

const isClosed = (link: Link, now: Date) => link.editableUntil !== null && now >= link.editableUntil;

function pageFor(link: Link, now: Date, overrides: Partial<SurveyPage> = {}): SurveyPage {
  const r = link.response;
  return {
    locale: link.locale,
    survey: link.survey,
    wording: link.wording,
    selected: r?.score ?? null,
    comment: r?.comment ?? '',
    autosave: false,
    openId: null,
    answer: r ? { score: r.score, comment: r.comment, editableUntil: isClosed(link, now) ? null : link.editableUntil } : null,
    timeZone: link.timeZone,
    ...overrides,
  };
}

/** A score from a link or a form: an integer on the survey's scale, else null. */
export function scoreOnScale(survey: Pick<Survey, 'metric'>, value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,2}$/.test(value.trim())) return null;
  const score = Number(value.trim());
  const { min, max } = scales[survey.metric];
  return score >= min && score <= max ? score : null;
}

/** Any Unicode a person types is kept, normalised; control characters (NUL breaks PostgreSQL) are not. */
export function cleanComment(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.normalize('NFC').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/\r\n?/g, '\n').trim();
}

interface ParsedAnswer {
  score: number | null;
  /** undefined: not sent (the background save), keep the stored comment. */
  comment: string | undefined;
  trigger: Trigger;
  openId: number | null;
  errors: FieldError[];
}

function parseAnswer(survey: Survey, locale: Locale, body: Record<string, unknown>): ParsedAnswer {
  const errors: FieldError[] = [];
  const { min, max } = scales[survey.metric];
  const score = scoreOnScale(survey, body.score);
  if (score === null) errors.push({ field: 'score', message: t(locale, 'survey.error.score', { min, max }) });
  let comment: string | undefined;
  if (typeof body.comment === 'string') {
    comment = cleanComment(body.comment);
    if ([...comment].length > COMMENT_MAX_LENGTH) {
      errors.push({ field: 'comment', message: t(locale, 'survey.error.comment_long', { max: COMMENT_MAX_LENGTH }) });
    }
  } else if (body.comment !== undefined) {
    errors.push({ field: 'comment', message: t(locale, 'survey.error.comment_text') });
  }
  const trigger: Trigger = body.trigger === 'click' || body.trigger === 'auto' ? body.trigger : 'nojs';
  const openId = typeof body.view === 'string' && /^\d{1,12}$/.test(body.view) ? Number(body.view) : null;
  return { score, comment, trigger, openId, errors };
}

const formValues = (parsed: ParsedAnswer, body: Record<string, unknown>) => ({
  selected: parsed.score,
  // The typed comment comes back as typed, even when too long.
  comment: typeof body.comment === 'string' ? body.comment : '',
  openId: parsed.openId,
});

/**
 * The link of a token that can still take an answer, with the time it was opened; else what the page shows
 * instead: unknown, the answer once its edit window has closed, or expired.
 */
async function openLink(deps: Deps, token: string): Promise<{ link: Link; now: Date } | LinkOutcome> {
  const link = await findLink(deps, token);
  if (!link) return { kind: 'unknown' };
  const now = deps.clock.now();
  if (link.response && (isClosed(link, now) || isExpired(link, now))) return { kind: 'closed', page: pageFor(link, now) };
  if (isExpired(link, now)) return { kind: 'expired', locale: link.locale };
  return { link, now };
}

/**
 * GET of an email link: the survey page with the linked score selected. It
 * records an open (scanners open every link), never an answer.
 */
export async function openInvitationPage(
  deps: Deps,
  token: string,
  query: { score?: unknown; userAgent?: string | null; record?: boolean },
): Promise<LinkOutcome> {
  const opened = await openLink(deps, token);
  if ('kind' in opened) return opened;
  const { link, now } = opened;
  const score = scoreOnScale(link.survey, query.score);
  let openId: number | null = null;
  if (query.record !== false) {
    openId = await insertLinkClick(deps.db, {
      invitation_id: link.invitation.id,
      kind: 'open',
      score,
      at: now,
      user_agent: query.userAgent ?? null,
    });
  }
  const page = pageFor(link, now, { openId, autosave: score !== null });
  if (score !== null) page.selected = score;
  return { kind: 'form', page };
}

/** GET of the hidden trap link that only machines follow. */
export async function recordTrapClick(deps: Deps, token: string, userAgent: string | null): Promise<void> {
  if (!TOKEN_SHAPE.test(token)) return;
  const invitation = await findInvitationByTokenHash(deps.db, hashToken(token));
  if (!invitation) return;
  await insertLinkClick(deps.db, { invitation_id: invitation.id, kind: 'trap', score: null, at: deps.clock.now(), user_agent: userAgent });
}

/**
 * POST of an answer from the page. An answer judged automated is recorded as
 * such and stores nothing, but looks saved, so a scanner learns nothing and
 * the real customer can still answer.
 */
export async function answerInvitation(
  deps: Deps,
  token: string,
  body: Record<string, unknown>,
  userAgent: string | null,
): Promise<LinkOutcome> {
  const opened = await openLink(deps, token);
  if ('kind' in opened) return opened;
  const { link, now } = opened;

  const parsed = parseAnswer(link.survey, link.locale, body);
  if (parsed.errors.length) {
    return { kind: 'invalid', page: pageFor(link, now, formValues(parsed, body)), errors: parsed.errors };
  }
  const score = parsed.score!;

  const open = parsed.openId === null ? undefined : await findOpen(deps.db, link.invitation.id, parsed.openId);
  const openedAt = open ? new Date(open.at) : null;
  const since = new Date(Math.min(openedAt?.getTime() ?? now.getTime(), now.getTime()) - JUDGMENT_REACH_MS);
  const clicks = (await linkClicksSince(deps.db, link.invitation.id, since, now)).map((c) => ({ ...c, at: new Date(c.at) }));
  const judgment = judgeAnswer({
    attempt: { score, at: now, openedAt },
    sentAt: link.invitation.sent_at ? new Date(link.invitation.sent_at) : null,
    clicks,
  });
  if (judgment.automated) {
    await insertLinkClick(deps.db, {
      invitation_id: link.invitation.id,
      kind: 'automated',
      score,
      at: now,
      user_agent: userAgent,
      signal: judgment.signal,
    });
    deps.log.info({ invitationId: link.invitation.id, signal: judgment.signal, trigger: parsed.trigger }, 'automated answer ignored');
    const comment = parsed.comment ?? '';
    const until = link.editableUntil ?? editableUntil({ answered_at: now.toISOString() }, link.settings);
    return {
      kind: 'saved',
      automated: judgment.signal,
      page: pageFor(link, now, { selected: score, comment, answer: { score, comment: comment || null, editableUntil: until } }),
    };
  }

  const stored = await writeTransaction(deps.db, (trx) => storeInvitationAnswer(trx, link, { score, comment: parsed.comment, now }));
  const fresh = { ...link, response: stored.response, editableUntil: editableUntil(stored.response, link.settings) };
  if (!stored.changed) return { kind: 'closed', page: pageFor(fresh, now) };
  return { kind: 'saved', automated: null, page: pageFor(fresh, now) };
}

async function storeInvitationAnswer(
  trx: Knex.Transaction,
  link: Link,
  answer: { score: number; comment: string | undefined; now: Date },
): Promise<{ response: ResponseRow; changed: boolean }> {
  const { invitation } = link;
  await lockInvitation(trx, invitation.id, answer.now);
  const existing = await findResponseForInvitation(trx, invitation.id);
  const comment = answer.comment === undefined ? (existing?.comment ?? null) : answer.comment || null;
  if (existing) {
    if (answer.now >= editableUntil(existing, link.settings)) return { response: existing, changed: false };
    await updateResponse(trx, existing, { score: answer.score, comment, at: answer.now }, link.settings.reporting_time_zone);
  } else {
    await insertResponse(
      trx,
      {
        survey_id: invitation.survey_id,
        invitation_id: invitation.id,
        customer_id: invitation.customer_id,
        score: answer.score,
        comment,
        channel: 'email',
        locale: link.locale,
        answered_at: answer.now,
        properties: parseProperties(invitation.event_properties),
      },
      link.settings.reporting_time_zone,
    );
    await markInvitationResponded(trx, invitation.id, answer.now, link.settings.reporting_time_zone);
  }
  return { response: (await findResponseForInvitation(trx, invitation.id))!, changed: true };
}

function parseProperties(text: string | null): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/* The public web link: one survey, anyone may answer, no invitation. */

export type WebOutcome =
  | { kind: 'unknown' }
  | { kind: 'form'; page: SurveyPage }
  | { kind: 'invalid'; page: SurveyPage; errors: FieldError[] }
  | { kind: 'saved'; page: SurveyPage };

/** The survey page as someone who has just opened it sees it: nothing chosen, nothing typed. */
export function blankSurveyPage(survey: Survey, wantedLocale: string, timeZone: string): SurveyPage {
  const { locale, wording } = wordingFor(survey, wantedLocale);
  return { locale: asLocale(locale), survey, wording, selected: null, comment: '', autosave: false, openId: null, answer: null, timeZone };
}

async function findWebSurvey(deps: Deps, key: string, wantedLocale: string | null | undefined) {
  if (!keySchema.safeParse(key).success) return null;
  const survey = await findSurveyByKey(deps.db, key);
  if (!survey || survey.status !== 'active') return null;
  const settings = await getSettings(deps.db);
  const locale = wantedLocale ? pickLocale(wantedLocale, survey.default_locale) : survey.default_locale;
  return { survey, page: blankSurveyPage(survey, locale, settings.reporting_time_zone), settings };
}

export async function openWebSurveyPage(deps: Deps, key: string, wantedLocale: string | null | undefined): Promise<WebOutcome> {
  const found = await findWebSurvey(deps, key, wantedLocale);
  return found ? { kind: 'form', page: found.page } : { kind: 'unknown' };
}

export async function answerWebSurvey(deps: Deps, key: string, body: Record<string, unknown>, wantedLocale: string | null | undefined): Promise<WebOutcome> {
  const found = await findWebSurvey(deps, key, typeof body.lang === 'string' ? body.lang : wantedLocale);
  if (!found) return { kind: 'unknown' };
  const { survey, page, settings } = found;
  const parsed = parseAnswer(survey, page.locale, body);
  if (parsed.errors.length) return { kind: 'invalid', page: { ...page, ...formValues(parsed, body), openId: null }, errors: parsed.errors };
  const now = deps.clock.now();
  const comment = parsed.comment || null;
  await writeTransaction(deps.db, (trx) =>
    insertResponse(
      trx,
      { survey_id: survey.id, score: parsed.score!, comment, channel: 'web', locale: page.locale, answered_at: now },
      settings.reporting_time_zone,
    ),
  );
  return { kind: 'saved', page: { ...page, selected: parsed.score, comment: comment ?? '', answer: { score: parsed.score!, comment, editableUntil: null } } };
}
