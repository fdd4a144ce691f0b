import type { Deps } from '../deps.ts';
import { renewWhileHeld } from '../db/lease.ts';
import { toDbTime } from '../db/time.ts';
import { processWorkerId } from '../db/worker-id.ts';
import type { recheckBeforeSend } from '../eligibility/recheck.ts';
import { releaseClaim, renewClaims } from '../invitations/outbox.ts';
import { releaseReminderClaim, renewReminderClaims } from '../invitations/reminder-queries.ts';
import { sendsTotal } from '../telemetry.ts';
import { SMTP_POOL_CONNECTIONS } from '../mail/transports.ts';
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

/**
 * Sends in flight at most: the SMTP pool's connections. No more: a message waiting inside the pool for a
 * connection could not be given back when the worker stops.
 */
const CONCURRENT_SENDS = SMTP_POOL_CONNECTIONS;


/**
 * How many rows one claim takes: what the worker can send within half a lease at the mail rate, at least
 * one per connection and at most CLAIM_BATCH, so a claim does not outlive its lease before it is sent.
 */
const claimSize = (deps: Pick<Deps, 'config'>, batch = CLAIM_BATCH): number =>
  Math.max(SMTP_POOL_CONNECTIONS, Math.min(batch, Math.floor((deps.config.mailRatePerSecond * deps.config.workerLeaseMs) / 2000)));

const emptyOutcomes = (): Outcomes => ({ claimed: 0, sent: [], retried: [], failed: [], bounced: [], suppressed: [], released: [] });

interface RunOptions {
  batch?: number;
  recheck?: typeof recheckBeforeSend;
  signal?: AbortSignal;
  workerId?: string;
}

/**
 * One pass of the worker: one claim of what is due (nothing while the mail server is unreachable), sent,
 * each outcome recorded; then one claim of the reminders due. The claims are renewed while the sends are
 * in flight. When `signal` aborts (the process is stopping) no new send starts: the rows not yet sent are
 * given back at once, no attempt used.
 */
export const runOnce = (deps: Deps, options: RunOptions = {}): Promise<RunResult> => run(deps, options, false);

/**
 * What the worker loop runs: as runOnce, but claim after claim while claims come back full, the next one
 * taken while the last rows of the one before are still being sent, so the mail server never waits for a
 * claim; then the reminders the same way.
 */
export const runUntilDone = (deps: Deps, options: RunOptions = {}): Promise<RunResult> => run(deps, options, true);

async function run(deps: Deps, options: RunOptions, follow: boolean): Promise<RunResult> {
  const owner = options.workerId ?? processWorkerId;
  const size = claimSize(deps, options.batch);
  const result: RunResult = { ...emptyOutcomes(), reminders: { ...emptyOutcomes(), deferred: [] } };
  const stopping = () => options.signal?.aborted === true;
  if (stopping() || !deps.mail.available()) return result;
  const settings = await settingsForRun(deps);
  await sendClaims(deps, result, {
    kind: 'invitation',
    claim: () => claimDueInvitations(deps, owner, size, options.recheck),
    deliver: (id) => deliverInvitation(deps, id, settings, owner),
    release: (id) => releaseClaim(deps.db, id, owner, toDbTime(deps.clock.now()), toDbTime(deps.clock.now())),
    renew: (ids) => renewClaims(deps.db, ids, owner, toDbTime(deps.clock.now())),
    signal: options.signal,
    follow: follow ? size : null,
  });

  // Then the reminders that are due: a reminder is never an invitation of its own.
  if (stopping() || !deps.mail.available()) return result;
  const r = result.reminders;
  await sendClaims(deps, r, {
    kind: 'reminder',
    claim: async () => {
      const reminders = await claimDueReminders(deps, settings, owner, size);
      r.deferred.push(...reminders.deferred);
      return { ...reminders, taken: reminders.toSend.length + reminders.suppressed.length + reminders.failed.length + reminders.deferred.length };
    },
    deliver: (id) => deliverReminder(deps, id, settings, owner),
    release: (id) => releaseReminderClaim(deps.db, id, owner, toDbTime(deps.clock.now())),
    renew: (ids) => renewReminderClaims(deps.db, ids, owner, toDbTime(deps.clock.now())),
    signal: options.signal,
    follow: follow ? size : null,
  });
  return result;
}

/** A claim: the rows now this worker's to send, those the recheck suppressed, those given up, and how many it took in all. */
interface Claim {
  toSend: number[];
  suppressed: number[];
  failed: number[];
  taken?: number;
}

/**
 * Claims rows (`how.claim`) and sends them, CONCURRENT_SENDS at a time, filing each outcome. With
 * `follow` (the claim size), a claim that came back full is followed by the next, taken as soon as no
 * more than CONCURRENT_SENDS rows of the last one wait, so sending never pauses for a claim. Every row
 * claimed and not yet done is renewed every third of a lease (real time: the lease is about real
 * crashes). Once the worker is stopping or the mail server turned out to be unreachable, no claim is
 * taken and the rest are given back unsent. The first claim's failure is thrown; a later one's is logged
 * and ends the run.
 */
async function sendClaims(
  deps: Deps,
  into: Outcomes,
  how: {
    kind: 'invitation' | 'reminder';
    claim: () => Promise<Claim>;
    deliver: (id: number) => Promise<Outcome>;
    release: (id: number) => Promise<boolean>;
    renew: (ids: number[]) => Promise<void>;
    signal?: AbortSignal;
    follow: number | null;
  },
): Promise<void> {
  const queue: number[] = [];
  /** Claimed and not yet done: what the lease renewal keeps. */
  const held = new Set<number>();
  let more = true;
  let claiming: Promise<void> | null = null;
  const stopped = () => how.signal?.aborted === true || !deps.mail.available();
  const takeClaim = (): Promise<void> =>
    (claiming ??= how
      .claim()
      .then((c) => {
        const taken = c.taken ?? c.toSend.length + c.suppressed.length + c.failed.length;
        into.claimed += taken;
        into.failed.push(...c.failed);
        into.suppressed.push(...c.suppressed);
        for (const id of c.toSend) held.add(id);
        queue.push(...c.toSend);
        more = how.follow !== null && taken >= how.follow;
      })
      .finally(() => {
        claiming = null;
      }));

  await takeClaim();
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
    } finally {
      held.delete(id);
    }
  };
  /** The next claim, in the background; a failure ends the claiming, the rows already claimed are still sent. */
  const claimAhead = () => {
    if (!more || claiming || stopped() || queue.length > CONCURRENT_SENDS) return;
    more = false;
    takeClaim().catch((err: unknown) => deps.log.error({ err }, `claiming the next ${how.kind}s failed`));
  };
  // Stopping: the rows no sender has started go back at once, not when a (perhaps stuck) send ends.
  const givingBack: Promise<void>[] = [];
  const onStop = () => givingBack.push(...queue.splice(0).map(giveBack));
  how.signal?.addEventListener('abort', onStop, { once: true });
  const sender = async () => {
    for (;;) {
      claimAhead();
      const id = queue.shift();
      if (id === undefined) {
        if (!claiming) return;
        await claiming.catch(() => {});
        continue;
      }
      if (stopped()) {
        await giveBack(id);
        continue;
      }
      try {
        record[await how.deliver(id)]?.push(id);
      } catch (err) {
        // The row stays claimed; it is taken again once the claim's lease runs out.
        deps.log.error({ err, [`${how.kind}Id`]: id }, `delivering a ${how.kind} failed`);
      } finally {
        held.delete(id);
      }
    }
  };
  const stopRenewing = renewWhileHeld(deps.config.workerLeaseMs, held, how.renew, deps.log, 'rows being sent');
  try {
    await Promise.all(Array.from({ length: CONCURRENT_SENDS }, sender));
  } finally {
    stopRenewing();
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
