import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { locales, pickLocale, type Locale } from '../i18n/index.ts';
import { getSettings } from '../settings/service.ts';
import { renderInvitation } from '../sending/render.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import { blankSurveyPage, type SurveyPage } from '../responses/answer-page.ts';
import { type Survey, type Wording } from '../surveys/model.ts';
import { findSurveyByKey, findTouchpointByKey } from '../surveys/queries.ts';
import { buildContent, createSurvey } from '../surveys/service.ts';
import { surveyInputSchema, type SurveyInput } from '../surveys/schemas.ts';
import { inputFromForm, rulesKeptFromSurvey, type SurveyForm } from './form.ts';
import { INERT_TOKEN } from '../tokens.ts';

/**
 * Previews of a survey, saved or not: its invitation email and its page as the
 * customer sees them, a test email to the editor, and copies. Nothing here
 * writes a survey except duplicateSurvey; no invitation is ever created.
 */

/** What every link of a previewed or test email points at. */
const INERT_HREF = '#';

/**
 * The survey the form describes, checked as saving it would check it, but not
 * saved. With `saved` (the edit form), key, touchpoint and metric are the
 * saved survey's and blank labels keep the saved wording. Throws a
 * ValidationError naming the fields.
 */
export async function draftSurvey(db: Knex, form: SurveyForm, saved?: Survey, locale: Locale = 'en'): Promise<Survey> {
  const values = saved ? { ...form, key: saved.key, touchpoint: saved.touchpoint_key, metric: saved.metric } : form;
  const parsed = parseInput(surveyInputSchema, inputFromForm(values, undefined, locale));
  const content = buildContent(parsed, saved?.content);
  const touchpoint = saved ? undefined : await findTouchpointByKey(db, parsed.touchpoint);
  const at = new Date(0).toISOString();
  // As the form saves them: what it shows replaces, the rest of the saved rules stay.
  const rules = { ...(saved ? rulesKeptFromSurvey(saved.rules) : {}), ...parsed.rules };
  return {
    id: saved?.id ?? 0,
    key: parsed.key,
    touchpoint_id: saved?.touchpoint_id ?? touchpoint?.id ?? 0,
    touchpoint_key: parsed.touchpoint,
    touchpoint_name: saved?.touchpoint_name ?? touchpoint?.name ?? parsed.touchpoint_name ?? parsed.touchpoint,
    metric: parsed.metric,
    status: parsed.status,
    default_locale: parsed.default_locale,
    content,
    send_delay_minutes: parsed.send_delay_minutes,
    sample_rate: parsed.sample_rate,
    precision_target: parsed.precision_target ?? saved?.precision_target ?? null,
    rules,
    channel: parsed.channel,
    web_window_days: parsed.web_window_days,
    public_link: parsed.public_link,
    count_anonymous: parsed.count_anonymous,
    max_event_age_days: parsed.max_event_age_days,
    source: saved?.source ?? 'ui',
    source_file: saved?.source_file ?? null,
    created_at: saved?.created_at ?? at,
    updated_at: saved?.updated_at ?? at,
  };
}

/** The locales the survey is written in, in the app's order (en, de). */
export const surveyLocales = (survey: Pick<Survey, 'content'>): Locale[] => locales.filter((l) => Boolean(survey.content[l]));

/** A locale the survey offers: the asked one, else its default locale. */
export function previewLocale(survey: Pick<Survey, 'content' | 'default_locale'>, wanted: unknown): Locale {
  const asked = typeof wanted === 'string' ? wanted : '';
  return surveyLocales(survey).includes(asked as Locale) ? (asked as Locale) : pickLocale(survey.default_locale);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every link the invitation would carry (scores, trap, unsubscribe) made to point nowhere. */
function inert(mail: OutgoingMail, baseUrl: string): OutgoingMail {
  const links = new RegExp(`${escapeRegExp(baseUrl)}/[ru]/${INERT_TOKEN}[^\\s"'<>]*`, 'g');
  const { 'List-Unsubscribe': _u, 'List-Unsubscribe-Post': _p, ...headers } = mail.headers;
  return { ...mail, html: mail.html.replace(links, INERT_HREF), text: mail.text.replace(links, INERT_HREF), headers };
}

/**
 * The invitation email of the survey in one locale, rendered by the sending
 * code itself (renderInvitation) with every link inert.
 */
export async function previewEmail(deps: Pick<Deps, 'db' | 'config'>, survey: Survey, locale: string, customer: { email: string; name: string | null }): Promise<OutgoingMail> {
  const settings = await getSettings(deps.db);
  const mail = await renderInvitation({
    invitationId: 0,
    token: INERT_TOKEN,
    locale,
    customer,
    survey,
    settings,
    config: deps.config,
  });
  return inert(mail, deps.config.baseUrl);
}

/** The survey page's state for a customer who has just opened it, in one locale. */
export async function previewPage(db: Knex, survey: Survey, locale: string): Promise<SurveyPage> {
  return blankSurveyPage(survey, locale, (await getSettings(db)).reporting_time_zone);
}

/**
 * The invitation email, in one locale, to the signed-in editor, through the
 * real mail path (SMTP or the development mailbox): subject "[Test] …", links
 * inert. No invitation is created, nothing is counted.
 */
export async function sendTestEmail(deps: Deps, survey: Survey, locale: string, to: { email: string; name: string | null }): Promise<OutgoingMail> {
  const mail = await previewEmail(deps, survey, locale, to);
  const test: OutgoingMail = {
    ...mail,
    messageId: `<survey-test-${crypto.randomBytes(8).toString('hex')}@${new URL(deps.config.baseUrl).hostname}>`,
    subject: `[Test] ${mail.subject}`,
    headers: { ...mail.headers, 'X-Touchpoint-Test': survey.key },
  };
  await deps.mail.send(test);
  return test;
}

const MAX_KEY = 100;

/** `<key>-copy`, `<key>-copy-2`, …, shortened to fit a key's 100 characters. */
export function copyKey(key: string, n: number): string {
  const suffix = n === 1 ? '-copy' : `-copy-${n}`;
  return `${key.slice(0, MAX_KEY - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** A draft copy of a survey under the first free `<key>-copy…` key, managed in the UI. */
export async function duplicateSurvey(db: Knex, key: string, now: Date): Promise<Survey> {
  const survey = await findSurveyByKey(db, key);
  if (!survey) throw new NotFoundError(`No survey has the key ${key}`);
  const perLocale = (field: keyof Wording) => Object.fromEntries(Object.entries(survey.content).map(([l, w]) => [l, w[field] ?? '']));
  for (let n = 1; n < 1000; n++) {
    const candidate = copyKey(survey.key, n);
    if (await findSurveyByKey(db, candidate)) continue;
    const input: SurveyInput = {
      key: candidate,
      touchpoint: survey.touchpoint_key,
      metric: survey.metric,
      status: 'draft',
      default_locale: survey.default_locale,
      channel: survey.channel,
      send_delay_minutes: survey.send_delay_minutes,
      sample_rate: survey.sample_rate,
      question: perLocale('question'),
      low_label: perLocale('low_label'),
      high_label: perLocale('high_label'),
      comment_prompt: perLocale('comment_prompt'),
      thank_you: perLocale('thank_you'),
      rules: survey.rules,
    };
    try {
      return await createSurvey(db, input, now, 'ui');
    } catch (err) {
      // Someone took the key in between: try the next one.
      if (err instanceof ConflictError) continue;
      throw err;
    }
  }
  throw new ConflictError(`There are too many copies of ${survey.key}`);
}
