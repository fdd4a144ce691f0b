import os from 'node:os';
import type { Deps } from '../deps.ts';
import { DAY, HOUR, MINUTE } from '../clock.ts';
import { writeTransaction } from '../db/dialect.ts';
import { toDbTime } from '../db/time.ts';
import { recheckBeforeSend } from '../eligibility/recheck.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import { findSurveyById } from '../surveys/queries.ts';
import { renderStoredInvitation } from './render.ts';
import { findStoredToken } from '../tokens.ts';
import { SendError } from '../mail/transport.ts';
import {
  findInvitationToSend,
  markClaimed,
  markCustomerBounced,
  markFailed,
  markRetry,
  markSent,
  markSuppressed,
  selectDueForClaim,
} from '../invitations/outbox.ts';

/** Waits after the 1st, 2nd … failed attempt; the attempt after the last one is final. */
export const RETRY_DELAYS_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 6 * HOUR];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** A claim older than this belongs to a worker that stopped mid-send; the row is taken again. */
export const STALE_CLAIM_MS = 5 * MINUTE;
export const CLAIM_BATCH = 100;

const workerName = (): string => `${os.hostname()}:${process.pid}`;

export type DeliveryOutcome = 'sent' | 'retried' | 'failed' | 'bounced' | 'suppressed' | 'skipped';

export interface ClaimResult {
  /** Claimed, rechecked and now this worker's to send. */
  toSend: number[];
  suppressed: number[];
  /** Stale claims that had used up their attempts. */
  failed: number[];
}

/**
 * Claims due invitations in one transaction (rows other workers hold are
 * skipped on PostgreSQL; SQLite has one writer) and rechecks the contact
 * rules for each: other invitations may have gone out since the decision.
 */
export async function claimDueInvitations(
  deps: Deps,
  limit = CLAIM_BATCH,
  recheck: typeof recheckBeforeSend = recheckBeforeSend,
): Promise<ClaimResult> {
  const now = deps.clock.now();
  const nowIso = toDbTime(now);
  const staleBefore = toDbTime(new Date(now.getTime() - STALE_CLAIM_MS));
  const claimedBy = workerName();
  return writeTransaction(deps.db, async (trx) => {
    const result: ClaimResult = { toSend: [], suppressed: [], failed: [] };
    const due = await selectDueForClaim(trx, deps.db, nowIso, staleBefore, limit);
    for (const row of due) {
      if (row.attempts >= MAX_ATTEMPTS) {
        await markFailed(trx, row.id, `The worker stopped while sending, ${row.attempts} times; given up`, nowIso);
        result.failed.push(row.id);
        continue;
      }
      await markClaimed(trx, row.id, nowIso, claimedBy);
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
        await markSuppressed(trx, row.id, verdict.reason, verdict.detail, nowIso);
        result.suppressed.push(row.id);
      }
    }
    return result;
  });
}

/**
 * Renders and sends one claimed invitation and records the outcome. The
 * Message-ID and the link token are derived from the invitation, so sending
 * it again after a crash produces the same message.
 */
export async function deliverInvitation(deps: Deps, invitationId: number, settings: Settings): Promise<DeliveryOutcome> {
  const { db, clock, config } = deps;
  const invitation = await findInvitationToSend(db, invitationId);
  if (!invitation) return 'skipped';
  if (!invitation.email) {
    await markSuppressed(db, invitationId, 'invalid_contact', 'The customer has no email address', toDbTime(clock.now()));
    return 'suppressed';
  }
  try {
    const survey = await findSurveyById(db, invitation.survey_id);
    if (!survey) throw new Error(`Survey ${invitation.survey_id} no longer exists`);
    const token = await findStoredToken(db, invitationId);
    if (!token) throw new Error(`Invitation ${invitationId} no longer exists`);
    const mail = await renderStoredInvitation({ ...invitation, ...token, id: invitationId }, { email: invitation.email, name: invitation.name }, { survey, settings, config });
    await deps.mail.send(mail);
    const sentAt = clock.now();
    await markSent(db, invitationId, {
      sentAt: toDbTime(sentAt),
      messageId: mail.messageId,
      expiresAt: toDbTime(new Date(sentAt.getTime() + settings.token_expiry_days * DAY)),
      reportingTimeZone: settings.reporting_time_zone,
    });
    return 'sent';
  } catch (err) {
    return recordFailure(deps, invitation, err);
  }
}

/** What a failed send means: a hard bounce, the last attempt gone, or a retry after the backoff. */
export type FailureDecision =
  | { kind: 'bounced'; error: string; code: number | undefined }
  | { kind: 'failed'; error: string }
  | { kind: 'retried'; error: string; delayMs: number; retryAt: string };

/** Decides what a send's failure means for an invitation (or its reminder) on its `attempts`-th attempt. */
export function failureDecision(err: unknown, attempts: number, now: Date): FailureDecision {
  const failure = err instanceof SendError ? err : new SendError(err instanceof Error ? err.message : String(err), false);
  const error = failure.message.slice(0, 2000);
  if (failure.permanent) return { kind: 'bounced', error, code: failure.responseCode };
  if (attempts >= MAX_ATTEMPTS) return { kind: 'failed', error };
  const delayMs = RETRY_DELAYS_MS[Math.max(0, attempts - 1)] ?? RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1];
  return { kind: 'retried', error, delayMs, retryAt: toDbTime(new Date(now.getTime() + delayMs)) };
}

async function recordFailure(
  deps: Deps,
  invitation: { id: number; customer_id: number; attempts: number },
  err: unknown,
): Promise<DeliveryOutcome> {
  const nowIso = toDbTime(deps.clock.now());
  const decision = failureDecision(err, invitation.attempts, deps.clock.now());
  if (decision.kind === 'bounced') {
    await writeTransaction(deps.db, async (trx) => {
      await markFailed(trx, invitation.id, decision.error, nowIso);
      await markCustomerBounced(trx, invitation.customer_id, decision.error, nowIso);
    });
    deps.log.warn({ invitationId: invitation.id, code: decision.code }, 'hard bounce: invitation failed, address suppressed');
  } else if (decision.kind === 'failed') {
    await markFailed(deps.db, invitation.id, decision.error, nowIso);
    deps.log.warn({ invitationId: invitation.id, attempts: invitation.attempts }, 'invitation failed after its last attempt');
  } else {
    await markRetry(deps.db, invitation.id, decision.error, decision.retryAt, nowIso);
    deps.log.info({ invitationId: invitation.id, attempts: invitation.attempts, retryInMs: decision.delayMs }, 'sending failed; will retry');
  }
  return decision.kind;
}

/** The settings a run renders with, read once per run. */
export const settingsForRun = (deps: Deps) => getSettings(deps.db);
