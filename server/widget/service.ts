import type { Deps } from '../deps.ts';
import { writeTransaction } from '../db/dialect.ts';
import { toDbTime } from '../db/time.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import { getSettings, updateSettings } from '../settings/service.ts';
import type { AuditActor } from '../audit/record.ts';
import { signatureMatches, signingSecret } from '../settings/signing-secrets.ts';
import { findSharedSurveyById } from '../surveys/queries.ts';
import { scales, wordingFor, type Metric } from '../surveys/model.ts';
import { recheckBeforeSend } from '../eligibility/recheck.ts';
import { findCustomerByExternalId, type CustomerRow } from '../customers/queries.ts';
import { endWebWindows, findCustomerWebInvitation, findDueWebInvitation, markDismissed, markShown, markWebSuppressed } from '../invitations/web.ts';
import { asLocale } from '../responses/answer-page.ts';
import { storeWidgetAnswer, type WidgetAnswer } from '../responses/widget-answer.ts';

/**
 * The widget on the company's site (issue 15): the company's server signs the customer's id with the
 * widget secret; a page view with a valid signature asks for the customer's due web invitation, which is
 * shown once (checked against the contact rules again, as an email is before sending), then answered or
 * dismissed. A bad signature and an unknown customer look the same: nothing is due.
 */

export interface WidgetIdentity {
  customer: string;
  signature: string;
}

/** What the card shows, in the customer's language. */
export interface WidgetQuestion {
  invitation: number;
  locale: Locale;
  metric: Metric;
  min: number;
  max: number;
  question: string;
  low_label: string | null;
  high_label: string | null;
  comment_prompt: string;
  thank_you: string;
  texts: Record<'dialog' | 'close' | 'send' | 'comment' | 'score' | 'error', string>;
}

/** The customer the signature vouches for; null for a bad signature, an unknown or an erased customer alike. */
async function signedCustomer(deps: Deps, identity: WidgetIdentity): Promise<CustomerRow | null> {
  if (!signatureMatches(await signingSecret(deps.db, 'widget'), identity.customer, identity.signature)) return null;
  const customer = await findCustomerByExternalId(deps.db, identity.customer);
  return customer && !customer.erased_at ? customer : null;
}

/** Rules checked again at the page view may refuse a waiting invitation; the next one is tried, up to this many. */
const MAX_TRIES = 5;

/**
 * The signed customer's due web invitation, marked shown (a contact from now on, counted for the response
 * rate), with the card's texts; null when nothing is due. In the language the customer is known by, else
 * the page's (`pageLocale`, the browser's), else the survey's default.
 */
export async function showDueSurvey(deps: Deps, identity: WidgetIdentity, pageLocale: string | null): Promise<WidgetQuestion | null> {
  const customer = await signedCustomer(deps, identity);
  if (!customer) return null;
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  // Most page views have nothing due: one read, no write lock (on SQLite the only writer) unless something is.
  if (!(await findDueWebInvitation(deps.db, customer.id, nowIso))) return null;
  const settings = await getSettings(deps.db);
  return writeTransaction(deps.db, async (trx) => {
    for (let i = 0; i < MAX_TRIES; i++) {
      const invitation = await findDueWebInvitation(trx, customer.id, nowIso);
      if (!invitation) return null;
      const recheck = await recheckBeforeSend(trx, invitation.id, now);
      if (!recheck.ok) {
        await markWebSuppressed(trx, invitation.id, recheck.reason, recheck.detail, nowIso);
        deps.log.info({ invitationId: invitation.id, reason: recheck.reason }, 'web invitation stopped at the page view');
        continue;
      }
      const survey = (await findSharedSurveyById(trx, invitation.survey_id))!;
      const wanted = pickLocale(customer.locale ?? pageLocale, asLocale(invitation.locale));
      const { locale: shownLocale, wording } = wordingFor(survey, wanted);
      const locale = asLocale(shownLocale);
      if (!(await markShown(trx, invitation.id, locale, nowIso, settings.reporting_time_zone))) return null;
      const { min, max } = scales[survey.metric];
      return {
        invitation: invitation.id,
        locale,
        metric: survey.metric,
        min,
        max,
        question: wording.question,
        low_label: wording.low_label || null,
        high_label: wording.high_label || null,
        comment_prompt: wording.comment_prompt || t(locale, 'survey.comment_default'),
        thank_you: wording.thank_you || t(locale, 'survey.thanks_default'),
        texts: {
          dialog: t(locale, 'widget.dialog'),
          close: t(locale, 'widget.close'),
          send: t(locale, 'survey.submit'),
          comment: t(locale, 'widget.comment'),
          score: t(locale, 'widget.score'),
          error: t(locale, 'widget.error'),
        },
      };
    }
    return null;
  });
}

/** The card closed unanswered: recorded, and a contact for the rules. False when there was no such card on show. */
export async function dismissSurvey(deps: Deps, identity: WidgetIdentity, invitationId: number): Promise<boolean> {
  const customer = await signedCustomer(deps, identity);
  if (!customer) return false;
  const invitation = await findCustomerWebInvitation(deps.db, customer.id, invitationId);
  if (!invitation) return false;
  return markDismissed(deps.db, invitation.id, toDbTime(deps.clock.now()));
}

/**
 * A score (and later perhaps a comment) given in the card: stored as the customer's answer to that
 * invitation, settled at once. `unknown` when the signature, the customer or the invitation does not
 * fit, or the invitation was never shown, was dismissed, or has expired.
 */
export async function answerSurvey(
  deps: Deps,
  identity: WidgetIdentity,
  invitationId: number,
  body: { score: unknown; comment?: unknown; input?: unknown },
  userAgent: string | null,
): Promise<WidgetAnswer | { state: 'unknown' }> {
  const customer = await signedCustomer(deps, identity);
  if (!customer) return { state: 'unknown' };
  const now = deps.clock.now();
  const settings = await getSettings(deps.db);
  return writeTransaction(deps.db, async (trx) => {
    const invitation = await findCustomerWebInvitation(trx, customer.id, invitationId);
    const open = invitation && (invitation.state === 'shown' || invitation.state === 'responded') && (!invitation.expires_at || invitation.expires_at > toDbTime(now));
    if (!open) return { state: 'unknown' as const };
    const survey = (await findSharedSurveyById(trx, invitation.survey_id))!;
    return storeWidgetAnswer(trx, invitation, survey, settings, body, { now, userAgent });
  });
}

/**
 * The worker's pass: web invitations whose window ended unshown expire (a `web` survey's) or become
 * emails due now (an `email_or_web` survey's), so a customer is never both shown and emailed one survey.
 */
export async function endDueWebWindows(deps: Deps): Promise<{ expired: number; emailed: number }> {
  const ended = await endWebWindows(deps.db, toDbTime(deps.clock.now()));
  if (ended.expired || ended.emailed) deps.log.info(ended, 'web windows ended');
  return ended;
}

/** Lets one more site show the widget (`touchpoint widget allow ORIGIN`); the sites allowed now. A trailing slash is dropped. */
export async function allowWidgetOrigin(deps: Deps, origin: string, actor: AuditActor): Promise<string[]> {
  const site = origin.trim().replace(/\/+$/, '');
  const { widget_origins } = await getSettings(deps.db);
  if (widget_origins.includes(site)) return widget_origins;
  return (await updateSettings(deps.db, { widget_origins: [...widget_origins, site] }, { actor, at: deps.clock.now() })).widget_origins;
}
