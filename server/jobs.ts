import type { Deps } from './deps.ts';
import { DAY, HOUR, MINUTE } from './clock.ts';
import { pruneRateCounters } from './db/rate-counters.ts';
import { runUntilDone, summary } from './sending/worker.ts';
import { settleDueAnswers } from './responses/settle.ts';
import { deliverDueWebhooks } from './webhooks/delivery.ts';
import { runFollowUpAlerts } from './followups/alerts.ts';
import { runWeeklyDigests } from './digest/service.ts';
import { pruneAuditLog } from './audit-log/retention.ts';
import { endDueWebWindows } from './widget/service.ts';
import { refreshDueSampleRates } from './precision/service.ts';

/**
 * What runs in the background (inside `serve`, or alone as `touchpoint worker`): web invitations whose
 * window ended (expired or turned into email), the sending worker
 * (invitations, then reminders), then held answers settling, webhook deliveries, follow-up alerts, the
 * weekly digest, the precision targets' rates of the day and housekeeping, one pass after the other, every WORKER_INTERVAL_MS.
 */

/** `pass`, run at most once every `everyMs` by the deps' clock (the worker's other passes run every time); its name kept for the logs. */
function atMostEvery(everyMs: number, pass: (deps: Deps) => Promise<unknown>): (deps: Deps) => Promise<void> {
  let lastAt = -Infinity;
  const gated = async (deps: Deps) => {
    const now = deps.clock.now().getTime();
    if (now - lastAt < everyMs) return;
    lastAt = now;
    await pass(deps);
  };
  Object.defineProperty(gated, 'name', { value: pass.name });
  return gated;
}

/** How long stop() waits for the sends in flight, at most: the rest of SHUTDOWN_TIMEOUT_SECONDS is for the database and the mail pool. */
export const stopWaitMs = (deps: Pick<Deps, 'config'>): number => Math.max(1_000, deps.config.shutdownTimeoutMs - 5_000);

/**
 * The sending loop: a run every WORKER_INTERVAL_MS (each claims again while
 * claims come back full: runUntilDone), never two at a time; errors are logged, never
 * thrown. stop() takes no new rows, gives back those not yet sent, and waits
 * for the sends in flight (at most stopWaitMs).
 */
export function startWorker(deps: Deps): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const stopping = new AbortController();

  const run = async () => {
    // Web invitations whose window ended: expired, or emails due now (sent in this very run).
    await endDueWebWindows(deps).catch((err: unknown) => deps.log.error({ err }, 'ending web windows failed'));
    try {
      const result = await runUntilDone(deps, { signal: stopping.signal });
      if (result.claimed || result.reminders.claimed) deps.log.info(summary(result), 'worker run');
    } catch (err) {
      deps.log.error({ err }, 'worker run failed');
    }
    // Held answers settle before alerts look for new answers (and before webhooks, so an answer settled in this run goes out in it);
    // alerts and the weekly digest: their errors are logged and never hold up sending.
    for (const pass of [settleDueAnswers, deliverDueWebhooks, runFollowUpAlerts, runWeeklyDigests, refreshRates, pruneCounters, pruneAudit]) {
      if (stopped) break;
      await pass(deps).catch((err: unknown) => deps.log.error({ err, pass: pass.name }, 'worker pass failed'));
    }
  };
  // The precision targets' rates of the day: looked for every ten minutes (they change once a day).
  const refreshRates = atMostEvery(10 * MINUTE, refreshDueSampleRates);
  // Rate-limit windows end within a day: forget those of the day before yesterday, once an hour.
  const pruneCounters = atMostEvery(HOUR, function pruneCounters(d: Deps) {
    return pruneRateCounters(d.db, new Date(d.clock.now().getTime() - 2 * DAY));
  });
  // The audit log's lines older than the retention in the Settings (default a year): deleted once an hour.
  const pruneAudit = atMostEvery(HOUR, pruneAuditLog);
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
      stopping.abort();
      clearTimeout(timer);
      let waited: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        waited = setTimeout(() => {
          deps.log.warn({ waitedMs: stopWaitMs(deps) }, 'the worker stops with sends still in flight; their rows are due again once their lease runs out');
          resolve();
        }, stopWaitMs(deps));
      });
      await Promise.race([running, limit]);
      clearTimeout(waited);
    },
  };
}
