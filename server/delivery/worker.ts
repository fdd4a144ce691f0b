import type { Deps } from '../deps.ts';
import { runFollowUpAlerts } from '../followups/alerts.ts';
import { runWeeklyDigests } from '../digest/service.ts';
import { settleDueAnswers } from '../responses/settle.ts';
import { pruneRateCounters } from '../db/rate-counters.ts';
import { pruneAuditLog } from '../audit/retention.ts';
import { DAY, HOUR } from '../clock.ts';
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

/**
 * The sending loop: a run every WORKER_INTERVAL_MS (at once again while
 * batches come back full), never two at a time; errors are logged, never
 * thrown. stop() waits for the run in progress.
 */
export function startWorker(deps: Deps): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const run = async () => {
    try {
      let result: RunResult;
      do {
        result = await runOnce(deps);
        if (result.claimed || result.reminders.claimed) deps.log.info(summary(result), 'worker run');
      } while (!stopped && (result.claimed >= CLAIM_BATCH || result.reminders.claimed >= CLAIM_BATCH));
    } catch (err) {
      deps.log.error({ err }, 'worker run failed');
    }
    // Held answers settle before alerts look for new answers; alerts and the weekly digest: their errors are logged and never hold up sending.
    for (const pass of [settleDueAnswers, runFollowUpAlerts, runWeeklyDigests, pruneCounters, pruneAudit]) {
      if (stopped) break;
      await pass(deps).catch((err: unknown) => deps.log.error({ err, pass: pass.name }, 'worker pass failed'));
    }
  };
  let prunedAt = 0;
  // Rate-limit windows end within a day: forget those of the day before yesterday, once an hour.
  const pruneCounters = async (d: Deps) => {
    const now = d.clock.now().getTime();
    if (now - prunedAt < HOUR) return;
    prunedAt = now;
    await pruneRateCounters(d.db, new Date(now - 2 * DAY));
  };
  let auditPrunedAt = 0;
  // The audit log's lines older than the retention in the Settings (default a year): deleted once an hour.
  const pruneAudit = async (d: Deps) => {
    const now = d.clock.now().getTime();
    if (now - auditPrunedAt < HOUR) return;
    auditPrunedAt = now;
    await pruneAuditLog(d);
  };
  const next = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = undefined;
        next(deps.config.workerIntervalMs);
      });
    }, delayMs);
  };
  next(0);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

const counts = (r: Outcomes) => ({
  claimed: r.claimed,
  sent: r.sent.length,
  retried: r.retried.length,
  failed: r.failed.length,
  bounced: r.bounced.length,
  suppressed: r.suppressed.length,
});
const summary = (r: RunResult) => ({ ...counts(r), reminders: counts(r.reminders) });
