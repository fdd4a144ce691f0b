import { detailIn } from '../eligibility/detail-words.ts';
import type { Knex } from 'knex';
import { formatInstant as shownAt, type InstantFormat } from '../dates.ts';
import { NotFoundError } from '../errors.ts';
import { getSettings, type GlobalRules } from '../settings/service.ts';
import { customerHistory } from '../eligibility/history.ts';
import type { History } from '../eligibility/model.ts';
import { checkCustomer, effectiveRules } from '../eligibility/rules.ts';
import { nextAllowedAt, type Wait } from '../eligibility/frequency.ts';
import { t, type Locale } from '../i18n/index.ts';
import { countingStates } from '../invitations/states.ts';
import { findCustomerByExternalId, searchCustomers, type CustomerRow } from './queries.ts';
import { customerTimeline, presentCustomer } from './timeline.ts';
import { breakable, facts, timelineItem } from './timeline-items.ts';

/** The customer pages: search, and one customer with their timeline and whether they may be surveyed now. */

/** Now, under the global rules: may this customer get a survey, and if not, until when not and why. */
export interface ContactStatus {
  canBeSurveyed: boolean;
  headline: string;
  reasons: string[];
}

/** The words of a rule that waits, times in the reporting zone. */
function waitText(wait: Wait, shown: InstantFormat, locale: Locale): string {
  if (wait.reason === 'cap_window') return t(locale, 'customers.wait_cap', { invitations: String(wait.invitations), days: String(wait.windowDays), count: String(wait.count) });
  if (wait.after === 'invitation') return t(locale, 'customers.wait_invitation', { last: shownAt(wait.last, shown), days: String(wait.days) });
  return t(locale, 'customers.wait_response', { last: shownAt(wait.last, shown), days: String(wait.days) });
}

function contactStatus(customer: CustomerRow, history: History, rules: GlobalRules, now: Date, shown: InstantFormat, locale: Locale): ContactStatus {
  const refusal = checkCustomer({ ...customer, unsubscribed_from_touchpoint_at: null });
  // The refusal's detail ("unsubscribed: from all surveys on …"): the rules' English, as the API gives it, in the page's language.
  if (refusal) return { canBeSurveyed: false, headline: t(locale, 'customers.gets_none', { reason: t(locale, 'customers.reason', { reason: refusal.reason }) }), reasons: [detailIn(locale, refusal.detail)] };
  const next = nextAllowedAt(effectiveRules(rules, {}), null, history, now);
  if (next.at) return { canBeSurveyed: false, headline: t(locale, 'customers.no_survey_before', { when: shownAt(next.at, shown) }), reasons: next.waits.map((w) => waitText(w, shown, locale)) };
  return {
    canBeSurveyed: true,
    headline: t(locale, 'customers.can_now'),
    reasons: [t(locale, 'customers.can_now_note')],
  };
}

/** Everything the customer page shows, in the page's language `lang`, times in the reporting time zone in the reader's `locale`. */
export async function customerPage(db: Knex, externalId: string, now: Date, locale = 'en', lang: Locale = 'en') {
  const row = await findCustomerByExternalId(db, externalId);
  if (!row) throw new NotFoundError(`No customer has the id ${externalId}`);
  const settings = await getSettings(db);
  const tz = settings.reporting_time_zone;
  const [{ timeline }, history] = await Promise.all([customerTimeline(db, externalId), customerHistory(db, row.id, countingStates)]);
  const shown: InstantFormat = { timeZone: tz, locale, zone: true };
  const items = timeline.map((entry) => timelineItem(entry, shown, lang));
  const lastEvent = [...items].reverse().find((i) => i.kind === 'event');
  return {
    customer: presentCustomer(row),
    idParts: breakable(row.external_id),
    facts: facts(
      { label: t(lang, 'customers.customer_id'), value: row.external_id },
      { label: t(lang, 'customers.email'), value: row.email ?? '' },
      { label: t(lang, 'customers.name'), value: row.name ?? '' },
      { label: t(lang, 'customers.language'), value: row.locale ?? '' },
      { label: t(lang, 'customers.time_zone'), value: row.time_zone ?? '' },
      { label: t(lang, 'customers.first_seen'), value: shownAt(row.created_at, shown) },
    ),
    status: contactStatus(row, history, settings.contact_rules, now, shown, lang),
    bounce: row.bounced_at && !row.erased_at ? { at: row.bounced_at, when: shownAt(row.bounced_at, shown), reason: row.bounce_reason ?? '' } : null,
    unsubscribed: row.unsubscribed_at && !row.erased_at ? { at: row.unsubscribed_at, when: shownAt(row.unsubscribed_at, shown) } : null,
    href: `/customers/${encodeURIComponent(row.external_id)}`,
    lastEvent,
    items,
    timeZone: tz,
  };
}

/** The customers page: a search by external id or email, or the latest seen. */
export async function findCustomers(db: Knex, text: string, now: Date, locale = 'en') {
  const limit = 50;
  const tz = (await getSettings(db)).reporting_time_zone;
  const rows = await searchCustomers(db, text.trim().slice(0, 254), limit + 1);
  return {
    more: rows.length > limit,
    timeZone: tz,
    customers: rows.slice(0, limit).map((c) => ({
      external_id: c.external_id,
      idParts: breakable(c.external_id),
      emailParts: c.email ? breakable(c.email) : [],
      href: `/customers/${encodeURIComponent(c.external_id)}`,
      email: c.email,
      name: c.name,
      state: c.erased_at ? 'erased' : c.unsubscribed_at ? 'unsubscribed' : c.bounced_at ? 'bounced' : '',
      seen: shownAt(c.updated_at, { timeZone: tz, locale, zone: true }),
      seenAt: c.updated_at,
    })),
    now,
  };
}
