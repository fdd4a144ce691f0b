import crypto from 'node:crypto';
import { TZDate } from '@date-fns/tz';
import { DAY, MINUTE } from '../clock.ts';
import type { GlobalRules, QuietHours } from '../settings/service.ts';
import { isTimeZone } from '../settings/service.ts';
import { DEFAULT_MAX_EVENT_AGE_DAYS, type SurveyRules } from '../surveys/model.ts';

/**
 * The decision step (DESIGN.md, "Contact rules"): pure functions of the event,
 * the survey, the global rules, the customer's state and history, and the
 * clock. No database, no I/O: the same input always gives the same decision.
 */

/** The closed list of reasons, in the order they are checked. */
export const suppressionReasons = [
  'duplicate_event',
  'no_active_survey',
  'too_old',
  'invalid_contact',
  'erased',
  'unsubscribed',
  'bounced',
  'sampled_out',
  'cooldown_global',
  'cooldown_survey',
  'cap_window',
] as const;
type SuppressionReason = (typeof suppressionReasons)[number];

export interface RuleSurvey {
  id: number;
  key: string;
  status: string;
  rules: SurveyRules;
  sample_rate: number;
  send_delay_minutes: number;
  /** 'link': answered at its web link only, never emailed (absent: email). */
  channel?: string;
  /** Events older than this many days are recorded as too_old, not surveyed; null: any age (absent: the default, 7). */
  max_event_age_days?: number | null;
}

/** Why a survey answered by web link only sends no email (for the event and for the worker's recheck). */
export const linkOnlyDetail = (key: string) => `no_active_survey: the survey ${key} is answered by web link only; events send no email`;

export interface CustomerState {
  email: string | null;
  time_zone: string | null;
  unsubscribed_at: string | null;
  bounced_at: string | null;
  erased_at: string | null;
  /** Unsubscribed from the event's touchpoint only. */
  unsubscribed_from_touchpoint_at: string | null;
}

/** One earlier invitation: for scheduled ones the planned send time, else when it went out. */
interface PastInvitation {
  survey_id: number;
  state: string;
  at: Date;
}
interface PastResponse {
  survey_id: number;
  at: Date;
}
export interface History {
  invitations: PastInvitation[];
  responses: PastResponse[];
}

export interface DecisionInput {
  now: Date;
  occurredAt: Date;
  transactionId: string;
  /** The touchpoint's active survey, or null. */
  survey: RuleSurvey | null;
  global: GlobalRules;
  reportingTimeZone: string;
  customer: CustomerState;
  history: History;
  /**
   * Record the event, survey nobody: an import of history without --send.
   * Such an event is suppressed as too_old (after duplicate_event and no_active_survey).
   */
  recordOnly?: boolean;
}

export type Decision =
  | { status: 'scheduled'; sendAt: Date; notes: string[]; reason?: undefined; detail?: undefined }
  | { status: 'suppressed'; reason: SuppressionReason; detail: string; notes: string[]; sendAt?: undefined };


const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
export const isEmailAddress = (value: string | null | undefined): boolean => !!value && value.length <= 254 && EMAIL.test(value);

const isoDay = (at: Date) => at.toISOString().slice(0, 10);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "21 days ago", "today", "in 2 days" for a past or planned instant. */
function ago(at: Date, now: Date): string {
  const days = Math.floor(Math.abs(now.getTime() - at.getTime()) / DAY);
  if (at.getTime() > now.getTime()) return days === 0 ? 'planned for later today' : `planned in ${plural(days, 'day')}`;
  return days === 0 ? 'less than a day ago' : `${plural(days, 'day')} ago`;
}

/** Which rules apply: the survey's where the settings allow it to override, else the global ones. */
export interface EffectiveRules {
  globalAfterInvitationDays: number | null;
  globalAfterResponseDays: number | null;
  surveyAfterInvitationDays: number | null;
  surveyAfterResponseDays: number | null;
  cap: GlobalRules['cap'];
  quietHours: QuietHours | null;
}

export function effectiveRules(global: GlobalRules, surveyRules: SurveyRules, notes: string[] = []): EffectiveRules {
  const may = global.survey_may_override;
  const pick = <T>(own: T | undefined, fallback: T, allowed: boolean, name: string): T => {
    if (own === undefined) return fallback;
    if (!allowed) {
      if (own !== fallback) notes.push(`the survey's ${name} is ignored: the contact rules do not let surveys override it`);
      return fallback;
    }
    return own;
  };
  return {
    globalAfterInvitationDays: pick(surveyRules.global_cooldown_after_invitation_days, global.cooldown_after_invitation_days, may.cooldown_after_invitation, 'global cooldown after invitation'),
    globalAfterResponseDays: pick(surveyRules.global_cooldown_after_response_days, global.cooldown_after_response_days, may.cooldown_after_response, 'global cooldown after response'),
    surveyAfterInvitationDays: surveyRules.cooldown_after_invitation_days ?? null,
    surveyAfterResponseDays: surveyRules.cooldown_after_response_days ?? null,
    cap: global.cap,
    quietHours: pick(surveyRules.quiet_hours, global.quiet_hours, may.quiet_hours, 'quiet hours'),
  };
}

type Refusal = { reason: SuppressionReason; detail: string };

/** Why an event from an import without --send is not surveyed (see DecisionInput.recordOnly). */
export const importedWithoutSendDetail = 'too_old: imported without --send; events from an import are recorded, not surveyed';

/**
 * too_old: the event occurred more than the survey's maximum event age before
 * now (exactly that many days old still counts as recent; events dated ahead
 * are not old). A survey without the setting has the default, 7 days; null
 * asks about events of any age.
 */
function checkAge(survey: Pick<RuleSurvey, 'max_event_age_days'>, occurredAt: Date, now: Date): Refusal | null {
  const limit = survey.max_event_age_days === undefined ? DEFAULT_MAX_EVENT_AGE_DAYS : survey.max_event_age_days;
  if (limit === null) return null;
  const age = now.getTime() - occurredAt.getTime();
  if (age <= limit * DAY) return null;
  const days = Math.floor(age / DAY);
  const when = days > limit ? `${plural(days, 'day')} ago` : `more than ${plural(limit, 'day')} ago`;
  return {
    reason: 'too_old',
    detail: `too_old: the event occurred ${when} (${isoDay(occurredAt)}); this survey asks about events up to ${plural(limit, 'day')} old`,
  };
}

/** invalid_contact, erased, unsubscribed, bounced: the customer's own state. */
export function checkCustomer(customer: CustomerState): Refusal | null {
  if (!customer.erased_at && !isEmailAddress(customer.email)) {
    return { reason: 'invalid_contact', detail: customer.email ? 'invalid_contact: the email is not an address' : 'invalid_contact: no email address' };
  }
  if (customer.erased_at) return { reason: 'erased', detail: `erased: the customer was erased on ${isoDay(new Date(customer.erased_at))}` };
  if (customer.unsubscribed_at) {
    return { reason: 'unsubscribed', detail: `unsubscribed: from all surveys on ${isoDay(new Date(customer.unsubscribed_at))}` };
  }
  if (customer.unsubscribed_from_touchpoint_at) {
    return { reason: 'unsubscribed', detail: `unsubscribed: from this touchpoint on ${isoDay(new Date(customer.unsubscribed_from_touchpoint_at))}` };
  }
  if (customer.bounced_at) return { reason: 'bounced', detail: `bounced: the address hard-bounced on ${isoDay(new Date(customer.bounced_at))}` };
  return null;
}

/** A number in [0, 100) from the survey key and transaction id: a replay samples the same. */
export function sampleBucket(surveyKey: string, transactionId: string): number {
  const digest = crypto.createHash('sha256').update(`${surveyKey}\u0000${transactionId}`).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

function checkSample(survey: RuleSurvey, transactionId: string): Refusal | null {
  const bucket = sampleBucket(survey.key, transactionId);
  if (bucket < survey.sample_rate) return null;
  return { reason: 'sampled_out', detail: `sampled_out: sample rate ${survey.sample_rate} %, this transaction falls at ${bucket.toFixed(1)} %` };
}

const latest = <T extends { at: Date }>(items: T[]): T | undefined =>
  items.reduce<T | undefined>((best, item) => (!best || item.at > best.at ? item : best), undefined);

/** Within the cooldown when less than `days` have passed; exactly `days` later is allowed again. */
const within = (at: Date, days: number, now: Date) => now.getTime() < at.getTime() + days * DAY;

/** cooldown_global, cooldown_survey, cap_window, over the invitations and responses given. */
export function checkFrequency(rules: EffectiveRules, surveyId: number, history: History, now: Date): Refusal | null {
  const lastInvitation = latest(history.invitations);
  if (rules.globalAfterInvitationDays && lastInvitation && within(lastInvitation.at, rules.globalAfterInvitationDays, now)) {
    return {
      reason: 'cooldown_global',
      detail: `cooldown_global: last invitation ${isoDay(lastInvitation.at)}, ${ago(lastInvitation.at, now)}; rule: ${plural(rules.globalAfterInvitationDays, 'day')}`,
    };
  }
  const lastResponse = latest(history.responses);
  if (rules.globalAfterResponseDays && lastResponse && within(lastResponse.at, rules.globalAfterResponseDays, now)) {
    return {
      reason: 'cooldown_global',
      detail: `cooldown_global: last response ${isoDay(lastResponse.at)}, ${ago(lastResponse.at, now)}; rule: ${plural(rules.globalAfterResponseDays, 'day')} after a response`,
    };
  }
  const lastOwnInvitation = latest(history.invitations.filter((i) => i.survey_id === surveyId));
  if (rules.surveyAfterInvitationDays && lastOwnInvitation && within(lastOwnInvitation.at, rules.surveyAfterInvitationDays, now)) {
    return {
      reason: 'cooldown_survey',
      detail: `cooldown_survey: last invitation from this survey ${isoDay(lastOwnInvitation.at)}, ${ago(lastOwnInvitation.at, now)}; rule: ${plural(rules.surveyAfterInvitationDays, 'day')}`,
    };
  }
  const lastOwnResponse = latest(history.responses.filter((r) => r.survey_id === surveyId));
  if (rules.surveyAfterResponseDays && lastOwnResponse && within(lastOwnResponse.at, rules.surveyAfterResponseDays, now)) {
    return {
      reason: 'cooldown_survey',
      detail: `cooldown_survey: last response to this survey ${isoDay(lastOwnResponse.at)}, ${ago(lastOwnResponse.at, now)}; rule: ${plural(rules.surveyAfterResponseDays, 'day')} after a response`,
    };
  }
  if (rules.cap) {
    // Invitations inside the window that ends now, and any planned later: a new one must fit beside them.
    const windowStart = now.getTime() - rules.cap.window_days * DAY;
    const inWindow = history.invitations.filter((i) => i.at.getTime() > windowStart);
    if (inWindow.length >= rules.cap.count) {
      return {
        reason: 'cap_window',
        detail: `cap_window: ${plural(inWindow.length, 'invitation')} since ${isoDay(new Date(windowStart))}; rule: at most ${rules.cap.count} in ${plural(rules.cap.window_days, 'day')}`,
      };
    }
  }
  return null;
}

// Checking a zone builds an Intl formatter (slow): remember the answers (a few hundred zones at most).
const zoneChecks = new Map<string, boolean>();
function knownZone(zone: string): boolean {
  let known = zoneChecks.get(zone);
  if (known === undefined) {
    known = isTimeZone(zone);
    if (zoneChecks.size < 1000) zoneChecks.set(zone, known);
  }
  return known;
}

/** The zone quiet hours are read in: the customer's, else the reporting zone, else UTC. */
export function zoneFor(customerZone: string | null, reportingZone: string, notes: string[]): string {
  if (customerZone && knownZone(customerZone)) return customerZone;
  const fallback = knownZone(reportingZone) ? reportingZone : 'UTC';
  if (customerZone) notes.push(`the customer's time zone "${customerZone}" is unknown; used ${fallback}`);
  return fallback;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Moves `at` forward to the next moment inside the daily window [start, end) in `zone`. */
export function intoQuietHoursWindow(at: Date, window: QuietHours, zone: string): Date {
  const local = new TZDate(at.getTime(), zone);
  const minute = local.getHours() * 60 + local.getMinutes();
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (inside) return at;
  // Outside: the next start is today when it is still ahead, else tomorrow (local calendar days).
  // A window that a daylight-saving jump skips on that day starts the day after.
  for (let dayOffset = minute < start ? 0 : 1; ; dayOffset++) {
    const next = new TZDate(local.getFullYear(), local.getMonth(), local.getDate() + dayOffset, Math.floor(start / 60), start % 60, 0, zone);
    const nextMinute = next.getHours() * 60 + next.getMinutes();
    const nextInside = start < end ? nextMinute >= start && nextMinute < end : nextMinute >= start || nextMinute < end;
    if (nextInside || dayOffset > 2) return new Date(next.getTime());
  }
}

/** When to send: max(now, occurred_at) + delay, then into the quiet-hours window. */
function sendTime(input: Pick<DecisionInput, 'now' | 'occurredAt' | 'reportingTimeZone'> & { delayMinutes: number; quietHours: QuietHours | null; customerZone: string | null }, notes: string[]): Date {
  const base = new Date(Math.max(input.now.getTime(), input.occurredAt.getTime()) + input.delayMinutes * MINUTE);
  if (!input.quietHours) return base;
  const zone = zoneFor(input.customerZone, input.reportingTimeZone, notes);
  const moved = intoQuietHoursWindow(base, input.quietHours, zone);
  if (moved.getTime() !== base.getTime()) {
    notes.push(`send time moved from ${base.toISOString()} to ${moved.toISOString()}: quiet hours ${input.quietHours.start}–${input.quietHours.end} ${zone}`);
  }
  return moved;
}

/** The decision for one event; `duplicate_event` is the caller's (it needs the database). */
export function decide(input: DecisionInput): Decision {
  const notes: string[] = [];
  const suppress = (refusal: Refusal): Decision => ({ status: 'suppressed', ...refusal, notes });
  const survey = input.survey;
  if (!survey || survey.status !== 'active') {
    return suppress({ reason: 'no_active_survey', detail: 'no_active_survey: the touchpoint has no active survey' });
  }
  // A web-link survey is active for its link, but no event emails anyone for it.
  if (survey.channel === 'link') return suppress({ reason: 'no_active_survey', detail: linkOnlyDetail(survey.key) });
  if (input.recordOnly) return suppress({ reason: 'too_old', detail: importedWithoutSendDetail });
  const old = checkAge(survey, input.occurredAt, input.now);
  if (old) return suppress(old);
  const customerRefusal = checkCustomer(input.customer);
  if (customerRefusal) return suppress(customerRefusal);
  const sampled = checkSample(survey, input.transactionId);
  if (sampled) return suppress(sampled);
  const rules = effectiveRules(input.global, survey.rules, notes);
  const frequency = checkFrequency(rules, survey.id, input.history, input.now);
  if (frequency) return suppress(frequency);
  const sendAt = sendTime(
    { ...input, delayMinutes: survey.send_delay_minutes, quietHours: rules.quietHours, customerZone: input.customer.time_zone },
    notes,
  );
  return { status: 'scheduled', sendAt, notes };
}
