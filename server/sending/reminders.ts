import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { writeTransaction } from '../db/dialect.ts';
import { toDbTime } from '../db/time.ts';
import { touchpointUnsubscribedAt } from '../eligibility/history.ts';
import { checkCustomer, effectiveRules } from '../eligibility/rules.ts';
import type { Settings } from '../settings/service.ts';
import type { Survey } from '../surveys/model.ts';
import { findSharedSurveyById, listSurveys } from '../surveys/queries.ts';
import { renderStoredInvitation } from './render.ts';
import { findInvitationToSend, markCustomerBounced } from '../invitations/outbox.ts';
import {
  confirmReminderClaim,
  deferReminder,
  findReminderCheck,
  markReminderClaimed,
  markReminderFailed,
  markReminderRetry,
  markReminderSent,
  markReminderSuppressed,
  releaseReminderClaim,
  selectDueRemindersForClaim,
} from '../invitations/reminder-queries.ts';
import type { DeliveryOutcome } from './service.ts';
import { MAX_ATTEMPTS } from './failures.ts';
import { recordUntilDone, sendSteps } from './steps.ts';
import { intoQuietHoursWindow, zoneFor } from '../eligibility/quiet-hours.ts';

/**
 * Reminders (one per invitation, at most): N days after an invitation went
 * out (the survey's reminder_after_days), while it is unanswered, unexpired,
 * and the customer still reachable; inside quiet hours like the invitation.
 * Kept on the invitation's row, so a reminder never counts for cooldowns or caps.
 */

export interface ReminderClaim {
  toSend: number[];
  suppressed: number[];
  /** Held until the next quiet-hours window. */
  deferred: number[];
  failed: number[];
}

const isoDay = (at: string) => at.slice(0, 10);

/** Why the reminder of this invitation should not go out now, or null when it should. */
async function reminderStop(db: Knex | Knex.Transaction, invitationId: number, now: Date): Promise<string | null> {
  const row = await findReminderCheck(db, invitationId);
  if (!row) return 'the invitation no longer exists';
  const answeredAt = row.response_at ?? row.responded_at;
  if (answeredAt || row.state === 'responded') return `responded: the customer answered${answeredAt ? ` on ${isoDay(answeredAt)}` : ''}`;
  if (row.state !== 'sent') return `the invitation is ${row.state}`;
  if (row.expires_at && row.expires_at <= toDbTime(now)) return `expired: the link expired on ${isoDay(row.expires_at)}`;
  const survey = await findSharedSurveyById(db, row.survey_id);
  if (!survey || survey.status !== 'active') {
    return `no_active_survey: ${survey ? `the survey ${survey.key} is ${survey.status}` : 'the survey is gone'}`;
  }
  const refusal = checkCustomer({
    ...row,
    unsubscribed_from_touchpoint_at: await touchpointUnsubscribedAt(db, row.customer_id, row.touchpoint_id),
  });
  return refusal ? refusal.detail : null;
}

/** The surveys whose invitations get a reminder, with the wait in days. */
async function remindingSurveys(db: Knex): Promise<{ survey: Survey; days: number }[]> {
  return (await listSurveys(db))
    .filter((s) => s.status === 'active' && s.channel === 'email' && s.rules.reminder_after_days)
    .map((survey) => ({ survey, days: survey.rules.reminder_after_days! }));
}

/**
 * Claims due reminders in one transaction: each is checked (answered,
 * unsubscribed, bounced, erased, expired) and held back outside quiet hours
 * before it is claimed; the sender checks again right before sending.
 */
export async function claimDueReminders(deps: Deps, settings: Settings, owner: string, limit: number): Promise<ReminderClaim> {
  const result: ReminderClaim = { toSend: [], suppressed: [], deferred: [], failed: [] };
  const surveys = await remindingSurveys(deps.db);
  if (!surveys.length) return result;
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const staleBefore = toDbTime(new Date(now.getTime() - deps.config.workerLeaseMs));
  return writeTransaction(deps.db, async (trx) => {
    let taken = 0;
    for (const { survey, days } of surveys) {
      if (taken >= limit) break;
      const sentBefore = toDbTime(new Date(now.getTime() - days * DAY));
      const due = await selectDueRemindersForClaim(trx, deps.db, { surveyId: survey.id, sentBefore, nowIso, staleBefore }, limit - taken);
      taken += due.length;
      const quietHours = effectiveRules(settings.contact_rules, survey.rules).quietHours;
      for (const row of due) {
        if (row.reminder_state === 'sending' && row.reminder_attempts >= MAX_ATTEMPTS) {
          await markReminderFailed(trx, row.id, null, `The worker stopped while sending the reminder, ${row.reminder_attempts} times; given up`);
          result.failed.push(row.id);
          continue;
        }
        const stop = await reminderStop(trx, row.id, now);
        if (stop) {
          await markReminderSuppressed(trx, row.id, null, stop);
          result.suppressed.push(row.id);
          continue;
        }
        if (quietHours) {
          const customer = await trx('customers').where({ id: row.customer_id }).first('time_zone');
          const zone = zoneFor(customer?.time_zone ?? null, settings.reporting_time_zone, []);
          const next = intoQuietHoursWindow(now, quietHours, zone);
          if (next.getTime() > now.getTime()) {
            if (row.reminder_state === 'sending') await markReminderRetry(trx, row.id, null, 'held until quiet hours end', toDbTime(next));
            else await deferReminder(trx, row.id, toDbTime(next));
            result.deferred.push(row.id);
            continue;
          }
        }
        await markReminderClaimed(trx, row.id, nowIso, owner);
        result.toSend.push(row.id);
      }
    }
    return result;
  });
}

/**
 * Sends one reminder `owner` claimed: checked once more right before sending (an answer that landed
 * since the claim stops it), with the invitation's links and token and a Message-ID of its own; in the
 * steps of sendSteps, as an invitation is.
 */
export async function deliverReminder(deps: Deps, invitationId: number, settings: Settings, owner: string): Promise<DeliveryOutcome> {
  const { db, clock, config } = deps;
  return sendSteps(deps, {
    what: 'reminder',
    id: invitationId,
    async prepare() {
      if (!(await confirmReminderClaim(db, invitationId, owner, toDbTime(clock.now())))) return { skip: 'lost' };
      const stop = await reminderStop(db, invitationId, clock.now());
      if (stop) {
        await markReminderSuppressed(db, invitationId, owner, stop);
        return { skip: 'suppressed' };
      }
      const invitation = await findInvitationToSend(db, invitationId);
      if (!invitation) return { skip: 'skipped' };
      if (!invitation.email) {
        await markReminderSuppressed(db, invitationId, owner, 'invalid_contact: no email address');
        return { skip: 'suppressed' };
      }
      const survey = await findSharedSurveyById(db, invitation.survey_id);
      return {
        attempts: invitation.reminder_attempts,
        customerId: invitation.customer_id,
        render: async () => {
          if (!survey) throw new Error(`Survey ${invitation.survey_id} no longer exists`);
          return renderStoredInvitation({ ...invitation, id: invitationId }, { email: invitation.email!, name: invitation.name }, { survey, settings, config }, true);
        },
      };
    },
    recordSent: (mail) =>
      recordUntilDone(deps, `the reminder of invitation ${invitationId}`, () => markReminderSent(db, invitationId, owner, { sentAt: toDbTime(clock.now()), messageId: mail.messageId })),
    release: (retryAt) => releaseReminderClaim(db, invitationId, owner, toDbTime(retryAt)),
    recordFailure: (decision, customerId) => {
      if (decision.kind === 'bounced') {
        return writeTransaction(db, async (trx) => {
          const marked = await markReminderFailed(trx, invitationId, owner, decision.error);
          if (marked) await markCustomerBounced(trx, customerId, decision.error, toDbTime(clock.now()));
          return marked;
        });
      }
      if (decision.kind === 'failed') return markReminderFailed(db, invitationId, owner, decision.error);
      return markReminderRetry(db, invitationId, owner, decision.error, decision.retryAt);
    },
  });
}
