import { Counter, Registry } from 'prom-client';

/**
 * What the background work counts, for Prometheus at /metrics (server/health/): one registry per process,
 * since a scrape reads one process. The queue's depth and age are read from the database at each scrape.
 */
export const telemetry = new Registry();

/** Invitations and reminders handed to the mail server, by what came of them. */
export const sendsTotal = new Counter({
  name: 'touchpoint_sends_total',
  help: 'Invitation and reminder emails the worker tried, by kind (invitation, reminder) and outcome (sent, retried, failed, bounced, suppressed, released)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [telemetry],
});

/** A delivered mail whose "sent" could not be recorded at once (recorded again with backoff, never sent again). */
export const recordRetriesTotal = new Counter({
  name: 'touchpoint_record_sent_retries_total',
  help: 'Times recording a delivered email as sent failed and was tried again',
  registers: [telemetry],
});

/** Rows a worker found it no longer owned when it came to mark them (another worker took them over). */
export const lostClaimsTotal = new Counter({
  name: 'touchpoint_lost_claims_total',
  help: 'Claimed invitations a worker no longer owned when it came to record them',
  registers: [telemetry],
});
