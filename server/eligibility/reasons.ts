import { DAY } from '../clock.ts';
import { plural, t } from '../i18n/index.ts';

/**
 * Why an event got no survey: the closed list of reasons, in the order the rules check them, each with
 * the one explanation the pages, the API and the OpenAPI document give (DESIGN.md, "Contact rules").
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
export type SuppressionReason = (typeof suppressionReasons)[number];

/**
 * What each reason means, in words a CX manager reads ("No survey because …"): the catalogue's
 * customers.reason, in English for the API and the OpenAPI document (the pages say it in their language).
 */
export const reasonTexts: Readonly<Record<SuppressionReason, string>> = Object.fromEntries(
  suppressionReasons.map((reason) => [reason, t('en', 'customers.reason', { reason })]),
) as Record<SuppressionReason, string>;

/** A refused rule: its reason, and the detail with the numbers behind it. */
export type Refusal = { reason: SuppressionReason; detail: string };

export const isoDay = (at: Date) => at.toISOString().slice(0, 10);

/** "21 days ago", "today", "in 2 days" for a past or planned instant. */
export function ago(at: Date, now: Date): string {
  const days = Math.floor(Math.abs(now.getTime() - at.getTime()) / DAY);
  if (at.getTime() > now.getTime()) return days === 0 ? 'planned for later today' : `planned in ${plural(days, 'day')}`;
  return days === 0 ? 'less than a day ago' : `${plural(days, 'day')} ago`;
}
