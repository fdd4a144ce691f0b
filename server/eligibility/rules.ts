import crypto from 'node:crypto';
import { checkFrequency } from './frequency.ts';
import { sendTime } from './quiet-hours.ts';
import { isoDay, type Refusal } from './reasons.ts';
import { plural } from '../i18n/index.ts';
import { DAY } from '../clock.ts';
import type { GlobalRules } from '../settings/service.ts';
import { DEFAULT_MAX_EVENT_AGE_DAYS, type SurveyRules } from '../surveys/model.ts';
import type { CustomerState, Decision, DecisionInput, EffectiveRules, PrecisionInForce, RuleSurvey } from './model.ts';

/**
 * The decision step (DESIGN.md, "Contact rules"): pure functions of the event,
 * the survey, the global rules, the customer's state and history, and the
 * clock. No database, no I/O: the same input always gives the same decision.
 */

/** Why a survey answered by web link only sends no email (for the event and for the worker's recheck). */
export const linkOnlyDetail = (key: string) => `no_active_survey: the survey ${key} is answered by web link only; events send no email`;

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
export const isEmailAddress = (value: string | null | undefined): boolean => !!value && value.length <= 254 && EMAIL.test(value);

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

/** How a precision target's rate is named in a sampled_out detail. */
function targetWords(p: PrecisionInForce): string {
  const target = `the ${p.margin} target for ${p.period}${p.segment ? ` (${p.segment.name} ${p.segment.value})` : ''}`;
  switch (p.state) {
    case 'met':
      return `${target} is met by the answers in hand and on their way; no more invitations this period (a 0 % sample)`;
    case 'on_track':
      return `${target} is met at a ${p.rate} % sample`;
    case 'short':
      return `sample rate ${p.rate} %, the most the survey allows; ${target} needs more`;
    default:
      return `sample rate ${p.rate} % while ${target} learns the volume and response rate`;
  }
}

function checkSample(survey: RuleSurvey, transactionId: string): Refusal | null {
  const bucket = sampleBucket(survey.key, transactionId);
  const rate = survey.precision?.rate ?? survey.sample_rate;
  if (bucket < rate) return null;
  const rule = survey.precision ? targetWords(survey.precision) : `sample rate ${rate} %`;
  return { reason: 'sampled_out', detail: `sampled_out: ${rule}; this transaction falls at ${bucket.toFixed(1)} %` };
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
