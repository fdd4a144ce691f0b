import type { Deps } from './deps.ts';
import { DAY, HOUR } from './clock.ts';
import { pruneRateCounters } from './db/rate-counters.ts';
import { CLAIM_BATCH } from './sending/service.ts';
import { runOnce, summary, type RunResult } from './sending/worker.ts';
import { settleDueAnswers } from './responses/settle.ts';
import { runFollowUpAlerts } from './followups/alerts.ts';
import { runWeeklyDigests } from './digest/service.ts';
import { pruneAuditLog } from './audit-log/retention.ts';

/**
 * What runs in the background (inside `serve`, or alone as `touchpoint worker`): the sending worker
 * (invitations, then reminders), then held answers settling, follow-up alerts, the weekly digest and
 * housekeeping, one pass after the other, every WORKER_INTERVAL_MS.
 */

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
