import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Deps } from '../deps.ts';
import { telemetry } from '../telemetry.ts';
import { toDbTime } from '../db/time.ts';
import { queueStats, type QueueStats } from '../invitations/queue-stats.ts';
import { withTimeout } from './readiness.ts';

// Node's own figures (CPU, memory, event loop lag, …), collected once per process however many apps it builds.
let nodeMetrics: Registry | undefined;
function processMetrics(): Registry {
  if (!nodeMetrics) {
    nodeMetrics = new Registry();
    collectDefaultMetrics({ register: nodeMetrics });
  }
  return nodeMetrics;
}

function gauge(registry: Registry, name: string, help: string, value: number): void {
  new Gauge({ name, help, registers: [registry] }).set(value);
}

/** The figures read at this scrape, in a registry of their own (no state shared between scrapes or apps). */
function scrapeRegistry(mailUp: boolean, queue: QueueStats | null, now: Date): Registry {
  const registry = new Registry();
  gauge(registry, 'touchpoint_mail_up', 'Whether the mail server is up (1) or sending is paused because it could not be reached (0)', mailUp ? 1 : 0);
  gauge(registry, 'touchpoint_database_up', 'Whether the database answered the queue queries of this scrape (the queue figures are absent when not)', queue ? 1 : 0);
  if (queue) {
    const oldestAge = queue.oldestDueSendAt ? Math.max(0, (now.getTime() - new Date(queue.oldestDueSendAt).getTime()) / 1000) : 0;
    gauge(registry, 'touchpoint_queue_due', 'Invitations due to be sent now that no worker has claimed yet', queue.due);
    gauge(registry, 'touchpoint_queue_in_flight', 'Invitations a worker has claimed and is sending (state sending)', queue.inFlight);
    gauge(registry, 'touchpoint_queue_stale_claims', 'Claimed invitations whose claim is older than the worker lease (their worker stopped)', queue.staleClaims);
    gauge(registry, 'touchpoint_queue_oldest_due_seconds', 'Seconds since the send time of the oldest invitation due now (0 when none is due)', oldestAge);
  }
  return registry;
}

/**
 * GET /metrics: what the worker counts (server/telemetry.ts) and Node's figures, with the queue and
 * the mail server's state read at each scrape. A database that does not answer within the check
 * timeout gives touchpoint_database_up 0 and no queue figures (rather than zeros that look healthy).
 */
export function prometheusMetrics(deps: Deps): { contentType: string; render(): Promise<string> } {
  return {
    contentType: telemetry.contentType,
    async render() {
      const now = deps.clock.now();
      const staleBefore = new Date(now.getTime() - deps.config.workerLeaseMs);
      let queue: QueueStats | null = null;
      try {
        queue = await withTimeout(queueStats(deps.db, toDbTime(now), toDbTime(staleBefore)));
      } catch (err) {
        deps.log.debug({ err }, '/metrics: the queue could not be read');
      }
      const scrape = scrapeRegistry(deps.mail.health().state === 'up', queue, now);
      return Registry.merge([telemetry, processMetrics(), scrape]).metrics();
    },
  };
}
