import os from 'node:os';
import crypto from 'node:crypto';
import type { Deps } from '../deps.ts';
import { toDbTime } from '../db/time.ts';
import type { recheckBeforeSend } from '../eligibility/recheck.ts';
import { releaseClaim, renewClaims } from '../invitations/outbox.ts';
import { releaseReminderClaim, renewReminderClaims } from '../invitations/reminder-queries.ts';
import { sendsTotal } from '../telemetry.ts';
import { CLAIM_BATCH, claimDueInvitations, deliverInvitation, settingsForRun } from './service.ts';
import { claimDueReminders, deliverReminder } from './reminders.ts';
import type { Outcome } from './steps.ts';

export interface Outcomes {
  claimed: number;
  sent: number[];
  retried: number[];
  failed: number[];
  bounced: number[];
  suppressed: number[];
  /** Given back unsent, no attempt used (the worker stopping, a failed read, the mail server away). */
  released: number[];
}

/** Invitations (the top-level fields) and reminders of one run. */
export interface RunResult extends Outcomes {
  reminders: Outcomes & { deferred: number[] };
}

/** Sends at once at most this many: the SMTP pool's connection count. */
const CONCURRENT_SENDS = 5;

/** This process's name on the rows it claims: host, process and a random part (a restarted process is another owner). */
const processWorkerId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

/**
 * How many rows one claim takes: what the worker can send within half a lease at the mail rate, at least
 * one per connection and at most CLAIM_BATCH, so a claim does not outlive its lease before it is sent.
 */
export const claimSize = (deps: Pick<Deps, 'config'>, batch = CLAIM_BATCH): number =>
  Math.max(CONCURRENT_SENDS, Math.min(batch, Math.floor((deps.config.mailRatePerSecond * deps.config.workerLeaseMs) / 2000)));

const emptyOutcomes = (): Outcomes => ({ claimed: 0, sent: [], retried: [], failed: [], bounced: [], suppressed: [], released: [] });

/**
 * One pass of the worker: claim what is due (nothing while the mail server is unreachable), send it, record
 * each outcome. The claims are renewed while the sends are in flight. When `signal` aborts (the process is
 * stopping) no new send starts: the rows not yet sent are given back at once, no attempt used.
 */
export async function runOnce(
  deps: Deps,
  options: { batch?: number; recheck?: typeof recheckBeforeSend; signal?: AbortSignal; workerId?: string } = {},
): Promise<RunResult> {
  const owner = options.workerId ?? processWorkerId;
  const size = claimSize(deps, options.batch);
  const result: RunResult = { ...emptyOutcomes(), reminders: { ...emptyOutcomes(), deferred: [] } };
  const stopping = () => options.signal?.aborted === true;
  if (stopping() || !deps.mail.available()) return result;
  const claim = await claimDueInvitations(deps, owner, size, options.recheck);
  const settings = await settingsForRun(deps);
  result.claimed = claim.toSend.length + claim.suppressed.length + claim.failed.length;
  result.failed.push(...claim.failed);
  result.suppressed.push(...claim.suppressed);
  await withLease(deps, claim.toSend, (ids) => renewClaims(deps.db, ids, owner, toDbTime(deps.clock.now())), () =>
    sendAll(deps, claim.toSend, result, {
      kind: 'invitation',
      deliver: (id) => deliverInvitation(deps, id, settings, owner),
      release: (id) => releaseClaim(deps.db, id, owner, toDbTime(deps.clock.now()), toDbTime(deps.clock.now())),
      signal: options.signal,
    }),
  );

  // Then the reminders that are due: a reminder is never an invitation of its own.
  if (stopping() || !deps.mail.available()) return result;
  const reminders = await claimDueReminders(deps, settings, owner, size);
  const r = result.reminders;
  r.claimed = reminders.toSend.length + reminders.suppressed.length + reminders.failed.length + reminders.deferred.length;
  r.failed.push(...reminders.failed);
  r.suppressed.push(...reminders.suppressed);
  r.deferred.push(...reminders.deferred);
  await withLease(deps, reminders.toSend, (ids) => renewReminderClaims(deps.db, ids, owner, toDbTime(deps.clock.now())), () =>
    sendAll(deps, reminders.toSend, r, {
      kind: 'reminder',
      deliver: (id) => deliverReminder(deps, id, settings, owner),
      release: (id) => releaseReminderClaim(deps.db, id, owner, toDbTime(deps.clock.now())),
      signal: options.signal,
    }),
  );
  return result;
}

/** Runs `work` while renewing the claim on `ids` every third of a lease (real time: the lease is about real crashes). */
async function withLease<T>(deps: Deps, ids: number[], renew: (ids: number[]) => Promise<void>, work: () => Promise<T>): Promise<T> {
  if (!ids.length) return work();
  const timer = setInterval(() => {
    renew(ids).catch((err: unknown) => deps.log.warn({ err }, 'renewing the claim on rows being sent failed'));
  }, Math.max(500, deps.config.workerLeaseMs / 3));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Sends the claimed ids, CONCURRENT_SENDS at a time, and files each outcome. Once the worker is stopping or
 * the mail server turned out to be unreachable, the rest are given back unsent.
 */
async function sendAll(
  deps: Deps,
  ids: number[],
  into: Outcomes,
  how: { kind: 'invitation' | 'reminder'; deliver: (id: number) => Promise<Outcome>; release: (id: number) => Promise<boolean>; signal?: AbortSignal },
): Promise<void> {
  const queue = [...ids];
  const record: Record<Outcome, number[] | null> = {
    sent: into.sent,
    retried: into.retried,
    failed: into.failed,
    bounced: into.bounced,
    suppressed: into.suppressed,
    released: into.released,
    skipped: null,
    lost: null,
  };
  const giveBack = async (id: number) => {
    try {
      if (await how.release(id)) into.released.push(id);
      sendsTotal.inc({ kind: how.kind, outcome: 'released' });
    } catch (err) {
      deps.log.warn({ err, [`${how.kind}Id`]: id }, `giving back a ${how.kind} failed; it is due again once its lease runs out`);
    }
  };
  // Stopping: the rows no sender has started go back at once, not when a (perhaps stuck) send ends.
  const givingBack: Promise<void>[] = [];
  const onStop = () => givingBack.push(...queue.splice(0).map(giveBack));
  how.signal?.addEventListener('abort', onStop, { once: true });
  const sender = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (how.signal?.aborted || !deps.mail.available()) {
        await giveBack(id);
        continue;
      }
      try {
        record[await how.deliver(id)]?.push(id);
      } catch (err) {
        // The row stays claimed; it is taken again once the claim's lease runs out.
        deps.log.error({ err, [`${how.kind}Id`]: id }, `delivering a ${how.kind} failed`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_SENDS, queue.length) }, sender));
  } finally {
    how.signal?.removeEventListener('abort', onStop);
  }
  await Promise.all(givingBack);
}

const counts = (r: Outcomes) => ({
  claimed: r.claimed,
  sent: r.sent.length,
  retried: r.retried.length,
  failed: r.failed.length,
  bounced: r.bounced.length,
  suppressed: r.suppressed.length,
  released: r.released.length,
});
export const summary = (r: RunResult) => ({ ...counts(r), reminders: counts(r.reminders) });
