import type { GlobalRules, QuietHours } from '../settings/service.ts';
import type { SurveyRules } from '../surveys/model.ts';
import type { SuppressionReason } from './reasons.ts';

/** What the decision step reads and gives (DESIGN.md, "Contact rules"): the types the rule files share. */

/** A precision target's rate in force for one event (its segment's), and the words that name it (server/precision/). */
export interface PrecisionInForce {
  /** Percent. */
  rate: number;
  /** learning: the survey's own rate while the target learns; on_track; met: no more invitations this period; short: the survey's rate is not enough. */
  state: 'learning' | 'on_track' | 'met' | 'short';
  /** "±5", "±3 %", "±0.2". */
  margin: string;
  /** "May 2027". */
  period: string;
  segment?: { name: string; value: string };
}

export interface RuleSurvey {
  id: number;
  key: string;
  status: string;
  rules: SurveyRules;
  sample_rate: number;
  /** With a precision target: the rate in force for this event, instead of sample_rate. */
  precision?: PrecisionInForce;
  send_delay_minutes: number;
  /** 'link': answered at its web link only, never emailed (absent: email). */
  channel?: string;
  /** Events older than this many days are recorded as too_old, not surveyed; null: any age (absent: the default, 7). */
  max_event_age_days?: number | null;
}

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

/** Which rules apply: the survey's where the settings allow it to override, else the global ones. */
export interface EffectiveRules {
  globalAfterInvitationDays: number | null;
  globalAfterResponseDays: number | null;
  surveyAfterInvitationDays: number | null;
  surveyAfterResponseDays: number | null;
  cap: GlobalRules['cap'];
  quietHours: QuietHours | null;
}
