import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import type { FieldError } from '../errors.ts';
import { DAY, HOUR } from '../clock.ts';
import { toDbTime } from '../db/time.ts';
import { writeTransaction } from '../db/dialect.ts';
import { withinLimits } from '../db/rate-counters.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { signatureMatches, signingSecret, signMessage } from '../settings/signing-secrets.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { keySchema, publicLinkOpen, type Survey } from '../surveys/model.ts';
import { pickLocale, type Locale } from '../i18n/index.ts';
import { findCustomerByExternalId, upsertCustomer } from '../customers/queries.ts';
import { statementsOf } from '../db/statements.ts';
import { blankSurveyPage, editableUntil, formValues, parseAnswer, type ParsedAnswer, type SurveyPage } from './answer-page.ts';
import { discardOtherHeld, insertAnswer, latestHeldAnswer, type NewAnswer } from './answer-queries.ts';
import { isPerson } from './scanner.ts';
import { applyAnswer, type AnswerTarget } from './settle.ts';
import { findResponseByLinkKey } from './queries.ts';

/**
 * The public web link (/s/:survey): on for link-only surveys, and for others only when the editor turns
 * it on. Anonymous answers are their own source and never alert; a link signed by the company's server
 * (?customer=ID&…&sig=HMAC) belongs to that customer, takes one answer, and carries the link's
 * properties. Abuse limits are counted in the database.
 */

export type WebOutcome =
  | { kind: 'unknown' }
  /** The signed link's customer was erased, or its expiry has passed. */
  | { kind: 'gone'; locale: Locale }
  | { kind: 'too_many'; locale: Locale }
  | { kind: 'form'; page: SurveyPage }
  | { kind: 'invalid'; page: SurveyPage; errors: FieldError[] }
  | { kind: 'saved'; page: SurveyPage; state: 'settled' | 'held' }
  | { kind: 'closed'; page: SurveyPage };

/** Query parameters a signed link may carry besides properties. */
const RESERVED = new Set(['customer', 'email', 'name', 'locale', 'expires', 'sig', 'lang']);
const MAX_PROPERTIES = 20;
const PROPERTY_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

type WebIdentity =
  | { kind: 'anonymous' }
  | { kind: 'signed'; customer: string; email?: string; name?: string; locale?: string; properties: Record<string, string>; linkKey: string }
  | { kind: 'invalid' }
  | { kind: 'expired' };

/**
 * Who a web link names. The signature is the lowercase hex HMAC-SHA256, keyed with the workspace's
 * link secret, of the query string exactly as it stands before `&sig=` (sig comes last; only `lang`
 * may follow it). Without `customer` and `sig` the link is anonymous.
 */
function readWebIdentity(rawQuery: string, secret: string, now: Date): WebIdentity {
  const params = new URLSearchParams(rawQuery);
  if (!params.has('sig') && !params.has('customer')) return { kind: 'anonymous' };
  const at = rawQuery.startsWith('sig=') ? -1 : rawQuery.indexOf('&sig=');
  if (at < 0) return { kind: 'invalid' };
  const signed = rawQuery.slice(0, at);
  const signature = rawQuery.slice(at + 5).split('&')[0];
  if (!signatureMatches(secret, signed, signature)) return { kind: 'invalid' };
  const fields = new URLSearchParams(signed);
  const customer = fields.get('customer') ?? '';
  if (customer.trim() === '' || customer.length > 200 || CONTROL.test(customer)) return { kind: 'invalid' };
  const expires = fields.get('expires');
  if (expires !== null) {
    if (!/^\d{1,12}$/.test(expires)) return { kind: 'invalid' };
    if (Number(expires) * 1000 <= now.getTime()) return { kind: 'expired' };
  }
  const properties: Record<string, string> = {};
  for (const [name, value] of fields) {
    if (RESERVED.has(name) || name in properties) continue;
    if (!PROPERTY_NAME.test(name) || value.length > 200 || CONTROL.test(value)) return { kind: 'invalid' };
    properties[name] = value;
    if (Object.keys(properties).length > MAX_PROPERTIES) return { kind: 'invalid' };
  }
  const optional = (name: string, max: number) => {
    const value = fields.get(name);
    return value && value.length <= max && !CONTROL.test(value) ? value : undefined;
  };
  return {
    kind: 'signed',
    customer,
    email: optional('email', 254),
    name: optional('name', 200),
    locale: optional('locale', 8),
    properties,
    linkKey: crypto.createHash('sha256').update(signed, 'utf8').digest('hex'),
  };
}

/** Anonymous answers from one address: this many an hour and a day at most (all web links together). */
const WEB_ANSWER_LIMITS = [
  { windowMs: HOUR, max: 20 },
  { windowMs: DAY, max: 100 },
];

interface WebLink {
  survey: Survey;
  identity: Exclude<WebIdentity, { kind: 'invalid' | 'expired' }>;
  page: SurveyPage;
  settings: Settings;
}

async function findWebLink(deps: Deps, key: string, rawQuery: string, wantedLocale: string | null | undefined): Promise<WebLink | WebOutcome> {
  if (!keySchema.safeParse(key).success) return { kind: 'unknown' };
  const survey = await findSurveyByKey(deps.db, key);
  if (!survey || !publicLinkOpen(survey)) return { kind: 'unknown' };
  const now = deps.clock.now();
  const identity = readWebIdentity(rawQuery, await signingSecret(deps.db, 'link'), now);
  const settings = await getSettings(deps.db);
  const localeWanted = wantedLocale ?? (identity.kind === 'signed' ? identity.locale : undefined);
  const locale = localeWanted ? pickLocale(localeWanted, survey.default_locale) : survey.default_locale;
  // A link with a bad signature reveals nothing: it does not exist.
  if (identity.kind === 'invalid') return { kind: 'unknown' };
  if (identity.kind === 'expired') return { kind: 'gone', locale: pickLocale(locale) };
  const page = blankSurveyPage(survey, locale, settings.reporting_time_zone);
  if (identity.kind === 'signed') {
    const customer = await findCustomerByExternalId(deps.db, identity.customer);
    if (customer?.erased_at) return { kind: 'gone', locale: page.locale };
    const response = await findResponseByLinkKey(deps.db, identity.linkKey);
    const held = await latestHeldAnswer(deps.db, { linkKey: identity.linkKey });
    const shown = held ? { score: held.score, comment: held.comment ?? response?.comment ?? null, answered_at: response?.answered_at ?? held.answered_at } : response;
    if (shown) {
      const until = editableUntil(shown, settings);
      const open = now < until;
      const answered = { ...page, selected: shown.score, comment: shown.comment ?? '', answer: { score: shown.score, comment: shown.comment, editableUntil: open ? until : null } };
      if (!open) return { kind: 'closed', page: answered };
      return { survey, identity, page: answered, settings };
    }
  }
  return { survey, identity, page, settings };
}

export async function openWebSurveyPage(deps: Deps, key: string, rawQuery: string, wantedLocale: string | null | undefined): Promise<WebOutcome> {
  const found = await findWebLink(deps, key, rawQuery, wantedLocale);
  return 'kind' in found ? found : { kind: 'form', page: found.page };
}

/** The address a limit counts, hashed: the database keeps no addresses. */
/** A rate counter's key for an address: keyed, so the database never holds the address itself. */
const addressKey = (secret: string, address: string) => signMessage(secret, address).slice(0, 32);

export async function answerWebSurvey(
  deps: Deps,
  key: string,
  rawQuery: string,
  body: Record<string, unknown>,
  request: { wantedLocale: string | null | undefined; address: string; userAgent: string | null },
): Promise<WebOutcome> {
  const found = await findWebLink(deps, key, rawQuery, typeof body.lang === 'string' ? body.lang : request.wantedLocale);
  if ('kind' in found) return found;
  const { survey, identity, page, settings } = found;
  const now = deps.clock.now();
  const secret = await signingSecret(deps.db, 'link');
  if (!(await withinLimits(deps.db, `web-answer:${addressKey(secret, request.address)}`, WEB_ANSWER_LIMITS, now))) {
    return { kind: 'too_many', locale: page.locale };
  }
  const parsed = parseAnswer(survey, page.locale, body);
  if (parsed.errors.length) return { kind: 'invalid', page: { ...page, ...formValues(parsed, body), openId: null }, errors: parsed.errors };
  const windowMs = deps.config.answerSettleSeconds * 1000;
  const stored = await writeTransaction(deps.db, (trx) => storeWebAnswer(trx, { survey, identity, page, settings }, parsed, { now, windowMs, userAgent: request.userAgent }));
  const score = parsed.score!;
  const comment = parsed.comment ?? page.comment;
  if (stored === 'closed') {
    const again = await findWebLink(deps, key, rawQuery, page.locale);
    return 'kind' in again ? again : { kind: 'closed', page: again.page };
  }
  const until = identity.kind === 'signed' ? editableUntil({ answered_at: toDbTime(now) }, settings) : null;
  return { kind: 'saved', state: stored, page: { ...page, selected: score, comment, answer: { score, comment: comment || null, editableUntil: until } } };
}

async function storeWebAnswer(
  trx: Knex.Transaction,
  link: WebLink,
  parsed: ParsedAnswer,
  at: { now: Date; windowMs: number; userAgent: string | null },
): Promise<'settled' | 'held' | 'closed'> {
  const { survey, identity, settings } = link;
  const { now } = at;
  let target: AnswerTarget = {
    survey_id: survey.id,
    invitation_id: null,
    customer_id: null,
    channel: 'link',
    source: 'anonymous',
    locale: link.page.locale,
    link_key: null,
    properties: {},
  };
  if (identity.kind === 'signed') {
    // The customer's lock: answers through one signed link are taken one after the other.
    const customer = await upsertCustomer(await statementsOf(trx), { external_id: identity.customer, email: identity.email, name: identity.name }, toDbTime(now));
    if (customer.erased_at) return 'closed';
    target = { ...target, customer_id: customer.id, source: 'signed', link_key: identity.linkKey, properties: identity.properties };
  }
  const score = parsed.score!;
  const answer = (state: NewAnswer['state'], reason: NewAnswer['reason'], extra: Partial<NewAnswer> = {}): NewAnswer => ({
    survey_id: target.survey_id,
    invitation_id: null,
    customer_id: target.customer_id ?? null,
    score,
    comment: parsed.comment ?? null,
    channel: 'link',
    source: target.source as NewAnswer['source'],
    locale: target.locale ?? null,
    state,
    reason,
    trigger: parsed.evidence.trigger,
    input: parsed.evidence.input,
    open_id: null,
    opened_at: null,
    seconds_since_sent: null,
    user_agent: at.userAgent,
    link_key: target.link_key ?? null,
    properties: target.properties ?? null,
    answered_at: now,
    settles_at: null,
    ...extra,
  });
  if (isPerson(parsed.evidence)) {
    const applied = await applyAnswer(trx, target, { score, comment: parsed.comment, answeredAt: now }, settings);
    if (!applied) {
      await insertAnswer(trx, answer('discarded', 'closed'));
      return 'closed';
    }
    const id = await insertAnswer(trx, answer('settled', 'person', { response_id: applied.responseId }));
    if (target.link_key) await discardOtherHeld(trx, { linkKey: target.link_key }, id, 'replaced', now);
    return 'settled';
  }
  if (target.link_key) {
    const response = await findResponseByLinkKey(trx, target.link_key);
    if (response && now >= editableUntil(response, settings)) {
      await insertAnswer(trx, answer('discarded', 'closed'));
      return 'closed';
    }
  }
  const id = await insertAnswer(trx, answer('held', 'held', { settles_at: new Date(now.getTime() + at.windowMs) }));
  if (target.link_key) await discardOtherHeld(trx, { linkKey: target.link_key }, id, 'replaced', now);
  return 'held';
}
