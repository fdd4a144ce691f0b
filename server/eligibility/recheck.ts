import type { Knex } from 'knex';
import { sentStates } from '../invitations/states.ts';
import { getSettings } from '../settings/service.ts';
import { findSharedSurveyById } from '../surveys/queries.ts';
import { customerHistory, touchpointUnsubscribedAt } from './history.ts';
import { checkCustomer, effectiveRules, linkOnlyDetail } from './rules.ts';
import { checkFrequency } from './frequency.ts';

export type Recheck = { ok: true } | { ok: false; reason: string; detail: string };

/** Invitations that really went out (or are going out): the only ones that count at send time. */

/**
 * The rules that can change between the decision and the send, applied again
 * just before sending. Called by the worker inside its claim transaction.
 * Sampling and quiet hours are not checked again: they were settled when the
 * event arrived. Nor is the event's age (too_old): it is judged when the
 * event arrives, where it keeps history from being surveyed; by the send time
 * the event is older by the survey's own send delay, quiet hours and any
 * backlog of the worker, none of which should turn an invitation that was
 * due into too_old (a 7-day survey with a 10-day delay would send nothing).
 */
export async function recheckBeforeSend(trx: Knex.Transaction, invitationId: number, now: Date): Promise<Recheck> {
  const invitation = await trx('invitations')
    .join('events', 'events.id', 'invitations.event_id')
    .where('invitations.id', invitationId)
    .first('invitations.survey_id', 'invitations.customer_id', 'events.touchpoint_id');
  if (!invitation) return { ok: false, reason: 'no_active_survey', detail: `no_active_survey: invitation ${invitationId} does not exist` };
  // From the process's cache, as the settings below (a change is seen at once here, within a second elsewhere).
  const survey = await findSharedSurveyById(trx, invitation.survey_id);
  if (!survey || survey.status !== 'active') {
    const state = survey ? `the survey ${survey.key} is ${survey.status}` : 'the survey is gone';
    return { ok: false, reason: 'no_active_survey', detail: `no_active_survey: ${state}` };
  }
  // Switched to web link only after the event: what was scheduled is not emailed.
  if (survey.channel === 'link') return { ok: false, reason: 'no_active_survey', detail: linkOnlyDetail(survey.key) };
  const customer = await trx('customers').where({ id: invitation.customer_id }).first();
  const refusal = checkCustomer({
    ...customer,
    unsubscribed_from_touchpoint_at: await touchpointUnsubscribedAt(trx, invitation.customer_id, invitation.touchpoint_id),
  });
  if (refusal) return { ok: false, ...refusal };
  const { contact_rules } = await getSettings(trx);
  const history = await customerHistory(trx, invitation.customer_id, sentStates, { exceptInvitationId: invitationId });
  const frequency = checkFrequency(effectiveRules(contact_rules, survey.rules), survey.id, history, now);
  if (frequency) return { ok: false, ...frequency };
  return { ok: true };
}
