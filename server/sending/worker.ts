import type { Deps } from '../deps.ts';
import type { recheckBeforeSend } from '../eligibility/recheck.ts';
import { CLAIM_BATCH, claimDueInvitations, deliverInvitation, settingsForRun, type DeliveryOutcome } from './service.ts';
import { claimDueReminders, deliverReminder } from './reminders.ts';

export interface Outcomes {
  claimed: number;
  sent: number[];
  retried: number[];
  failed: number[];
  bounced: number[];
  suppressed: number[];
}

/** Invitations (the top-level fields) and reminders of one run. */
export interface RunResult extends Outcomes {
  reminders: Outcomes & { deferred: number[] };
}

/** Sends at once at most this many: the SMTP pool's connection count. */
const CONCURRENT_SENDS = 5;

/** One pass of the worker: claim what is due, send it, record each outcome. */
export async function runOnce(
  deps: Deps,
  options: { batch?: number; recheck?: typeof recheckBeforeSend } = {},
): Promise<RunResult> {
  const batch = options.batch ?? CLAIM_BATCH;
  const claim = await claimDueInvitations(deps, batch, options.recheck);
  const settings = await settingsForRun(deps);
  const result: RunResult = {
    claimed: claim.toSend.length + claim.suppressed.length + claim.failed.length,
    sent: [],
    retried: [],
    failed: [...claim.failed],
    bounced: [],
    suppressed: [...claim.suppressed],
    reminders: { claimed: 0, sent: [], retried: [], failed: [], bounced: [], suppressed: [], deferred: [] },
  };
  await sendAll(deps, claim.toSend, result, (id) => deliverInvitation(deps, id, settings), 'delivering an invitation failed');

  // Then the reminders that are due: a reminder is never an invitation of its own.
  const reminders = await claimDueReminders(deps, settings, batch);
  const r = result.reminders;
  r.claimed = reminders.toSend.length + reminders.suppressed.length + reminders.failed.length + reminders.deferred.length;
  r.failed.push(...reminders.failed);
  r.suppressed.push(...reminders.suppressed);
  r.deferred.push(...reminders.deferred);
  await sendAll(deps, reminders.toSend, r, (id) => deliverReminder(deps, id, settings), 'delivering a reminder failed');
  return result;
}

/** Sends the claimed ids, CONCURRENT_SENDS at a time, and files each outcome. */
async function sendAll(
  deps: Deps,
  ids: number[],
  into: Outcomes,
  deliver: (id: number) => Promise<DeliveryOutcome>,
  failure: string,
): Promise<void> {
  const queue = [...ids];
  const record: Record<DeliveryOutcome, number[] | null> = {
    sent: into.sent,
    retried: into.retried,
    failed: into.failed,
    bounced: into.bounced,
    suppressed: into.suppressed,
    skipped: null,
  };
  const sender = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        record[await deliver(id)]?.push(id);
      } catch (err) {
        // The row stays claimed; it is taken again once the claim is stale.
        deps.log.error({ err, invitationId: id }, failure);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_SENDS, queue.length) }, sender));
}

const counts = (r: Outcomes) => ({
  claimed: r.claimed,
  sent: r.sent.length,
  retried: r.retried.length,
  failed: r.failed.length,
  bounced: r.bounced.length,
  suppressed: r.suppressed.length,
});
export const summary = (r: RunResult) => ({ ...counts(r), reminders: counts(r.reminders) });
