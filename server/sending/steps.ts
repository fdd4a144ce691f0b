import type { Deps } from '../deps.ts';
import { isTransientDbError } from '../db/dialect.ts';
import { SendError, type OutgoingMail } from '../mail/transport.ts';
import { recordRetriesTotal, lostClaimsTotal, sendsTotal } from '../telemetry.ts';
import { failureDecision, type FailureDecision } from './failures.ts';

/**
 * What came of one claimed send: the usual outcomes, `released` (given back unsent without using an
 * attempt: a read failed, the mail server could not be reached, the worker is stopping) and `lost`
 * (another worker took the row over after this one's lease ran out: nothing was changed).
 */
export type Outcome = 'sent' | 'retried' | 'failed' | 'bounced' | 'suppressed' | 'skipped' | 'released' | 'lost';

/** A claimed row goes back this soon after a read failed (the database away for a moment). */
const RELEASE_PAUSE_MS = 2_000;

/** One send of an invitation or a reminder, in the steps sendSteps runs. Each mark says whether the row was still ours. */
export interface SendSteps {
  what: 'invitation' | 'reminder';
  id: number;
  /** Reads what the mail needs; `skip` when there is nothing to send after all. */
  prepare(): Promise<{ skip: Outcome } | { attempts: number; customerId: number; render(): Promise<OutgoingMail> }>;
  recordSent(mail: OutgoingMail): Promise<boolean>;
  release(retryAt: Date): Promise<boolean>;
  recordFailure(decision: FailureDecision, customerId: number): Promise<boolean>;
}

/**
 * Sends one claimed row in three steps that fail apart (issue 12):
 * 1. reading: a failure gives the row back at once (due again in RELEASE_PAUSE_MS), no attempt used;
 * 2. sending: a refusal is a retry with backoff or a bounce (failureDecision); a mail server that
 *    cannot be reached gives the row back, no attempt used, until the transport's pause ends;
 * 3. recording "sent": retried with backoff until it is recorded (recordUntilDone), never a send failure,
 *    so a delivered mail is never sent again.
 */
export async function sendSteps(deps: Deps, steps: SendSteps): Promise<Outcome> {
  const outcome = await runSteps(deps, steps);
  sendsTotal.inc({ kind: steps.what, outcome });
  if (outcome === 'lost') {
    lostClaimsTotal.inc();
    deps.log.warn({ [`${steps.what}Id`]: steps.id }, `the ${steps.what} was taken over by another worker before this one recorded it`);
  }
  return outcome;
}

async function runSteps(deps: Deps, steps: SendSteps): Promise<Outcome> {
  const label = { [`${steps.what}Id`]: steps.id };
  let prepared;
  try {
    prepared = await steps.prepare();
  } catch (err) {
    deps.log.warn({ err, ...label }, `reading the ${steps.what} before sending failed; it goes back to the queue`);
    return releaseAt(deps, steps, new Date(deps.clock.now().getTime() + RELEASE_PAUSE_MS));
  }
  if ('skip' in prepared) return prepared.skip;
  let mail: OutgoingMail;
  try {
    mail = await prepared.render();
    await deps.mail.send(mail);
  } catch (err) {
    if (err instanceof SendError && err.unreachable) {
      const retryAt = deps.mail.health().retryAt;
      return releaseAt(deps, steps, retryAt ? new Date(retryAt) : new Date(deps.clock.now().getTime() + RELEASE_PAUSE_MS));
    }
    if (isTransientDbError(err)) return releaseAt(deps, steps, new Date(deps.clock.now().getTime() + RELEASE_PAUSE_MS));
    const decision = failureDecision(err, prepared.attempts, deps.clock.now());
    try {
      if (!(await steps.recordFailure(decision, prepared.customerId))) return 'lost';
    } catch (recordErr) {
      // The row stays claimed; once the lease runs out it is tried again.
      deps.log.error({ err: recordErr, ...label }, `recording a failed ${steps.what} failed`);
      return 'retried';
    }
    if (decision.kind === 'bounced') deps.log.warn({ ...label, code: decision.code }, `hard bounce: ${steps.what} failed, address suppressed`);
    else if (decision.kind === 'failed') deps.log.warn({ ...label, attempts: prepared.attempts }, `${steps.what} failed after its last attempt`);
    else deps.log.info({ ...label, attempts: prepared.attempts, retryInMs: decision.delayMs }, 'sending failed; will retry');
    return decision.kind;
  }
  try {
    return (await steps.recordSent(mail)) ? 'sent' : 'lost';
  } catch (err) {
    deps.log.error({ err, ...label, messageId: mail.messageId }, `the ${steps.what} was delivered but could not be recorded as sent; once its lease runs out it may be sent once more, with the same Message-ID`);
    return 'sent';
  }
}

async function releaseAt(deps: Deps, steps: SendSteps, retryAt: Date): Promise<Outcome> {
  try {
    // Tried a few times over about 4 s: the blip that failed the read may fail the first try too.
    return (await retryWrite(deps, `giving back ${steps.what} ${steps.id}`, () => steps.release(retryAt), RELEASE_PAUSES_MS)) ? 'released' : 'lost';
  } catch (err) {
    // The row stays claimed; once the lease runs out it is due again.
    deps.log.warn({ err, [`${steps.what}Id`]: steps.id }, `giving the ${steps.what} back failed; it is due again once its lease runs out`);
    return 'released';
  }
}

/** Pauses between tries to give a row back. */
const RELEASE_PAUSES_MS = [250, 500, 1_000, 2_000];

/** Pauses between tries to record a delivered mail: quick at first, then every 30 s, about 10 minutes in all. */
const RECORD_PAUSES_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, ...Array(19).fill(30_000)];

/** Records a delivered mail (`write`: the mark) until it is recorded; throws only when every try failed. */
export const recordUntilDone = (deps: Pick<Deps, 'log'>, what: string, write: () => Promise<boolean>): Promise<boolean> =>
  retryWrite(deps, `recording ${what} as sent`, write, RECORD_PAUSES_MS, () => recordRetriesTotal.inc());

/** Runs a write that must happen until it does, pausing between tries; throws only when every try failed. */
async function retryWrite(deps: Pick<Deps, 'log'>, what: string, write: () => Promise<boolean>, pauses: number[], onRetry = () => {}): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= pauses.length) throw err;
      onRetry();
      deps.log.warn({ err, attempt: attempt + 1 }, `${what} failed; trying again`);
      await new Promise((resolve) => setTimeout(resolve, pauses[attempt]));
    }
  }
}
