import { DAY } from '../clock.ts';
import { ago, isoDay, plural, type Refusal } from './reasons.ts';
import type { EffectiveRules, History } from './rules.ts';

/**
 * Cooldowns and the rolling cap: how long after an invitation or a response a customer waits, and how many
 * invitations fit in a window. The decision (checkFrequency) and the customer page (nextAllowedAt) both
 * count with cooldownEnd and capRoomAt, so they never disagree.
 */

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
