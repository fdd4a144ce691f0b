import type { Deps } from '../deps.ts';
import type { recheckBeforeSend } from '../eligibility/recheck.ts';
import { CLAIM_BATCH, claimDueInvitations, deliverInvitation, settingsForRun, type DeliveryOutcome } from './service.ts';

export interface RunResult {
  claimed: number;
  sent: number[];
  retried: number[];
  failed: number[];
  bounced: number[];
  suppressed: number[];
}

/** Sends at once at most this many: the SMTP pool's connection count. */
const CONCURRENT_SENDS = 5;

/** One pass of the worker: claim what is due, send it, record each outcome. */
export async function runOnce(
  deps: Deps,
  options: { batch?: number; recheck?: typeof recheckBeforeSend } = {},
): Promise<RunResult> {
  const claim = await claimDueInvitations(deps, options.batch ?? CLAIM_BATCH, options.recheck);
  const result: RunResult = {
    claimed: claim.toSend.length + claim.suppressed.length + claim.failed.length,
    sent: [],
    retried: [],
    failed: [...claim.failed],
    bounced: [],
    suppressed: [...claim.suppressed],
  };
  if (!claim.toSend.length) return result;
  const settings = await settingsForRun(deps);
  const queue = [...claim.toSend];
  const record: Record<DeliveryOutcome, number[] | null> = {
    sent: result.sent,
    retried: result.retried,
    failed: result.failed,
    bounced: result.bounced,
    suppressed: result.suppressed,
    skipped: null,
  };
  const sender = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        record[await deliverInvitation(deps, id, settings)]?.push(id);
      } catch (err) {
        // The row stays claimed; it is taken again once the claim is stale.
        deps.log.error({ err, invitationId: id }, 'delivering an invitation failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_SENDS, queue.length) }, sender));
  return result;
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
        if (result.claimed) deps.log.info(summary(result), 'worker run');
      } while (!stopped && result.claimed >= CLAIM_BATCH);
    } catch (err) {
      deps.log.error({ err }, 'worker run failed');
    }
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

const summary = (r: RunResult) => ({
  claimed: r.claimed,
  sent: r.sent.length,
  retried: r.retried.length,
  failed: r.failed.length,
  bounced: r.bounced.length,
  suppressed: r.suppressed.length,
});
