import { DAY } from '../clock.ts';
import { ago, isoDay, type Refusal } from './reasons.ts';
import { plural } from '../i18n/index.ts';
import type { EffectiveRules, History } from './model.ts';

/**
 * Cooldowns and the rolling cap: how long after an invitation or a response a customer waits, and how many
 * invitations fit in a window. The decision (checkFrequency) and the customer page (nextAllowedAt) both
 * read the same waits, so they never disagree.
 */

/** One rule that holds a new invitation back, and until when. */
export type Wait =
  | { reason: 'cooldown_global' | 'cooldown_survey'; after: 'invitation' | 'response'; last: Date; days: number; until: Date }
  | { reason: 'cap_window'; invitations: number; windowStart: Date; count: number; windowDays: number; until: Date };

const latest = <T extends { at: Date }>(items: T[]): T | undefined =>
  items.reduce<T | undefined>((best, item) => (!best || item.at > best.at ? item : best), undefined);

/** A cooldown of `days` after `last` holds until exactly `days` later (then it is allowed again); null: it is over. */
function cooldown(reason: 'cooldown_global' | 'cooldown_survey', after: 'invitation' | 'response', last: { at: Date } | undefined, days: number | null, now: Date): Wait | null {
  if (!days || !last) return null;
  const until = new Date(last.at.getTime() + days * DAY);
  return now.getTime() < until.getTime() ? { reason, after, last: last.at, days, until } : null;
}

/**
 * The rules that hold a new invitation back now, in the order they are checked: global cooldowns (after an
 * invitation, after a response), the survey's own (only for `surveyId`), then the cap. Invitations planned
 * for later count as well: a new one must fit beside them.
 */
function* waits(rules: EffectiveRules, surveyId: number | null, history: History, now: Date): Generator<Wait> {
  const own = <T extends { survey_id: number }>(items: T[]) => items.filter((i) => i.survey_id === surveyId);
  const checks = [
    () => cooldown('cooldown_global', 'invitation', latest(history.invitations), rules.globalAfterInvitationDays, now),
    () => cooldown('cooldown_global', 'response', latest(history.responses), rules.globalAfterResponseDays, now),
    () => (surveyId === null ? null : cooldown('cooldown_survey', 'invitation', latest(own(history.invitations)), rules.surveyAfterInvitationDays, now)),
    () => (surveyId === null ? null : cooldown('cooldown_survey', 'response', latest(own(history.responses)), rules.surveyAfterResponseDays, now)),
  ];
  for (const check of checks) {
    const wait = check();
    if (wait) yield wait;
  }
  if (rules.cap) {
    const { count, window_days: windowDays } = rules.cap;
    const windowStart = new Date(now.getTime() - windowDays * DAY);
    const inWindow = history.invitations.map((i) => i.at.getTime()).filter((t) => t > windowStart.getTime());
    if (inWindow.length >= count) {
      // Room again once the oldest of the newest `count` leaves the window.
      const until = new Date(inWindow.sort((a, b) => b - a)[count - 1] + windowDays * DAY);
      yield { reason: 'cap_window', invitations: inWindow.length, windowStart, count, windowDays, until };
    }
  }
}

/** The detail of a wait, as events and the delivery log record it. */
function waitDetail(wait: Wait, now: Date): string {
  if (wait.reason === 'cap_window') {
    return `cap_window: ${plural(wait.invitations, 'invitation')} since ${isoDay(wait.windowStart)}; rule: at most ${wait.count} in ${plural(wait.windowDays, 'day')}`;
  }
  const what = wait.reason === 'cooldown_global' ? `last ${wait.after}` : wait.after === 'invitation' ? 'last invitation from this survey' : 'last response to this survey';
  const rule = `${plural(wait.days, 'day')}${wait.after === 'response' ? ' after a response' : ''}`;
  return `${wait.reason}: ${what} ${isoDay(wait.last)}, ${ago(wait.last, now)}; rule: ${rule}`;
}

/** cooldown_global, cooldown_survey, cap_window: the first rule that holds the invitation back, or null. */
export function checkFrequency(rules: EffectiveRules, surveyId: number, history: History, now: Date): Refusal | null {
  for (const wait of waits(rules, surveyId, history, now)) return { reason: wait.reason, detail: waitDetail(wait, now) };
  return null;
}

/**
 * When a new invitation is allowed again under these rules (`surveyId` null: the global rules only), with
 * every rule that holds it back until then; `at` null: allowed now.
 */
export function nextAllowedAt(rules: EffectiveRules, surveyId: number | null, history: History, now: Date): { at: Date | null; waits: Wait[] } {
  const all = [...waits(rules, surveyId, history, now)];
  const at = all.reduce<Date | null>((max, w) => (!max || w.until > max ? w.until : max), null);
  return { at, waits: all };
}
