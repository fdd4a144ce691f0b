import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { writeTransaction } from '../db/dialect.ts';
import { toDbTime } from '../db/time.ts';
import { recheckBeforeSend } from '../eligibility/recheck.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { findSharedSurveyById } from '../surveys/queries.ts';
import { renderStoredInvitation } from './render.ts';
import {
  confirmClaim,
  findInvitationToSend,
  markClaimed,
  markCustomerBounced,
  markFailed,
  markRetry,
  markSent,
  markSuppressed,
  releaseClaim,
  selectDueForClaim,
} from '../invitations/outbox.ts';
import { recordUntilDone, sendSteps, type Outcome } from './steps.ts';
import { MAX_ATTEMPTS } from './failures.ts';

export const CLAIM_BATCH = 100;

export type DeliveryOutcome = Outcome;

export interface ClaimResult {
  /** Claimed, rechecked and now this worker's to send. */
  toSend: number[];
  suppressed: number[];
  /** Stale claims that had used up their attempts. */
  failed: number[];
}

/**
 * Claims due invitations in one transaction (rows other workers hold are skipped on PostgreSQL; SQLite
 * has one writer) for `owner`, and rechecks the contact rules for each: other invitations may have gone
 * out since the decision. A claim older than the lease (WORKER_LEASE_SECONDS, renewed while its worker
 * sends) belongs to a worker that stopped: it is taken over.
 */
export async function claimDueInvitations(
  deps: Deps,
  owner: string,
  limit = CLAIM_BATCH,
  recheck: typeof recheckBeforeSend = recheckBeforeSend,
): Promise<ClaimResult> {
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const staleBefore = toDbTime(new Date(now.getTime() - deps.config.workerLeaseMs));
  return writeTransaction(deps.db, async (trx) => {
    const result: ClaimResult = { toSend: [], suppressed: [], failed: [] };
    const due = await selectDueForClaim(trx, deps.db, nowIso, staleBefore, limit);
    for (const row of due) {
      if (row.attempts >= MAX_ATTEMPTS) {
        await markFailed(trx, row.id, null, `The worker stopped while sending, ${row.attempts} times; given up`, nowIso);
        result.failed.push(row.id);
        continue;
      }
      await markClaimed(trx, row.id, nowIso, owner);
      // A test invitation goes to the person who asked for it, whatever the contact rules say.
      if (row.is_test) {
        result.toSend.push(row.id);
        continue;
      }
      let verdict;
      try {
        // A savepoint: a failing recheck leaves this row claimed (retried when the claim goes stale), not the batch undone.
        verdict = await trx.transaction((savepoint) => recheck(savepoint, row.id, now));
      } catch (err) {
        deps.log.error({ err, invitationId: row.id }, 'recheck before sending failed');
        continue;
      }
      if (verdict.ok) {
        result.toSend.push(row.id);
      } else {
        await markSuppressed(trx, row.id, owner, verdict.reason, verdict.detail, nowIso);
        result.suppressed.push(row.id);
      }
    }
    return result;
  });
}

/**
 * Renders and sends one invitation `owner` claimed, and records the outcome (sendSteps: a read that
 * fails gives the row back, a delivered mail is recorded until it is, never sent again). The Message-ID
 * and the link token are derived from the invitation, so sending it again after a crash produces the
 * same message.
 */
export async function deliverInvitation(deps: Deps, invitationId: number, settings: Settings, owner: string): Promise<DeliveryOutcome> {
  const { db, clock, config } = deps;
  let isTest = false;
  return sendSteps(deps, {
    what: 'invitation',
    id: invitationId,
    async prepare() {
      if (!(await confirmClaim(db, invitationId, owner, toDbTime(clock.now())))) return { skip: 'lost' };
      const invitation = await findInvitationToSend(db, invitationId);
      if (!invitation) return { skip: 'skipped' };
      if (!invitation.email) {
        await markSuppressed(db, invitationId, owner, 'invalid_contact', 'The customer has no email address', toDbTime(clock.now()));
        return { skip: 'suppressed' };
      }
      const survey = await findSharedSurveyById(db, invitation.survey_id);
      isTest = Boolean(invitation.is_test);
      return {
        attempts: invitation.attempts,
        customerId: invitation.customer_id,
        render: async () => {
          if (!survey) throw new Error(`Survey ${invitation.survey_id} no longer exists`);
          return renderStoredInvitation({ ...invitation, id: invitationId }, { email: invitation.email!, name: invitation.name }, { survey, settings, config });
        },
      };
    },
    recordSent: (mail) =>
      recordUntilDone(deps, `invitation ${invitationId}`, () => {
        const sentAt = clock.now();
        return markSent(db, invitationId, owner, {
          sentAt: toDbTime(sentAt),
          messageId: mail.messageId,
          expiresAt: toDbTime(new Date(sentAt.getTime() + settings.token_expiry_days * DAY)),
          reportingTimeZone: settings.reporting_time_zone,
          test: isTest,
        });
      }),
    release: (retryAt) => releaseClaim(db, invitationId, owner, toDbTime(retryAt), toDbTime(clock.now())),
    recordFailure: (decision, customerId) => {
      const nowIso = toDbTime(clock.now());
      if (decision.kind === 'bounced') {
        return writeTransaction(db, async (trx) => {
          const marked = await markFailed(trx, invitationId, owner, decision.error, nowIso);
          if (marked) await markCustomerBounced(trx, customerId, decision.error, nowIso);
          return marked;
        });
      }
      if (decision.kind === 'failed') return markFailed(db, invitationId, owner, decision.error, nowIso);
      return markRetry(db, invitationId, owner, decision.error, decision.retryAt, nowIso);
    },
  });
}

/** The settings a run renders with, read once per run. */
export const settingsForRun = (deps: Deps) => getSettings(deps.db);
