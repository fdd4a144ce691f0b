import type { Deps } from '../deps.ts';
import { DAY } from '../clock.ts';
import { UnavailableError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';
import { isUniqueViolation } from '../db/dialect.ts';
import { findTouchpointByKey } from '../surveys/queries.ts';
import { eventSchema, type EventInput } from './input.ts';
import { answerFor, type EventAnswer, type EventOutcome } from './store.ts';
import { storeWithOthers } from './group-commit.ts';
import { retryWhenBusy } from '../db/retry.ts';
import { findEventByTransaction } from './queries.ts';

const earliest = Date.parse('2000-01-01T00:00:00Z');
const latestAhead = 366 * DAY;



export function occurredAt(input: EventInput, now: Date): Date {
  if (!input.occurred_at) return now;
  const at = new Date(input.occurred_at);
  if (at.getTime() < earliest) throw ValidationError.field('occurred_at', 'must be after 2000-01-01');
  if (at.getTime() > now.getTime() + latestAhead) throw ValidationError.field('occurred_at', 'must be at most a year ahead');
  return at;
}

/** The event's fields and its touchpoint (from the process's cache); a bad event or an unknown touchpoint throws, naming the field. */
export async function readInput(deps: Deps, body: unknown): Promise<{ input: EventInput; touchpoint: { id: number } }> {
  const input = parseInput(eventSchema, body);
  const touchpoint = await findTouchpointByKey(deps.db, input.touchpoint);
  if (!touchpoint) throw ValidationError.field('touchpoint', `no touchpoint has the key "${input.touchpoint}"`);
  return { input, touchpoint };
}

/**
 * Every check receiveEvent makes before it decides, writing nothing (for an
 * import's --dry-run): throws as receiveEvent would for a bad event, and
 * returns the first answer when the event was received before.
 */
export async function checkEvent(deps: Deps, body: unknown): Promise<{ touchpointId: number; transactionId: string; first: EventAnswer | null }> {
  const { input, touchpoint } = await readInput(deps, body);
  const first = await findEventByTransaction(deps.db, touchpoint.id, input.transaction_id);
  if (!first) occurredAt(input, deps.clock.now());
  return { touchpointId: touchpoint.id, transactionId: input.transaction_id, first: first ? answerFor(first) : null };
}

export interface ReceiveOptions {
  /** Record the decision but survey nobody (an import without --send): suppressed as too_old unless refused earlier. */
  recordOnly?: boolean;
}

/**
 * Receives one event: records it with its decision (scheduled with an
 * invitation, or suppressed with a reason) in one transaction, so it is
 * durable before the caller answers. A repeat of (touchpoint, transaction id)
 * returns the first answer and creates nothing.
 */
export function receiveEvent(deps: Deps, body: unknown, source: 'api' | 'import' = 'api', options: ReceiveOptions = {}): Promise<EventOutcome> {
  // The whole operation is idempotent on (touchpoint, transaction id): tried again from the start while the
  // database fails it transiently (a connection lost even at the commit finds the event the second time).
  return retryWhenBusy(() => receiveEventOnce(deps, body, source, options), eventNotRecorded);
}

/** 503 with Retry-After: the event was not recorded; the caller sends it again. */
const eventNotRecorded = () => new UnavailableError('The database is busy; the event was not recorded', 'Send the same event again in a moment; a repeat is safe.');

async function receiveEventOnce(deps: Deps, body: unknown, source: 'api' | 'import', options: ReceiveOptions): Promise<EventOutcome> {
  const { db } = deps;
  const { input, touchpoint } = await readInput(deps, body);
  const now = deps.clock.now();
  let at: Date;
  try {
    at = occurredAt(input, now);
  } catch (err) {
    // A repeat is answered as the first time, even when its occurred_at would be refused today.
    const first = await findEventByTransaction(db, touchpoint.id, input.transaction_id);
    if (first) return { answer: answerFor(first), repeated: true };
    throw err;
  }
  try {
    // One transaction on one connection, shared with the events that arrive meanwhile: a repeat is found inside it.
    return await storeWithOthers(deps, { input, touchpoint, at }, { source, recordOnly: options.recordOnly });
  } catch (err) {
    // Two requests with one transaction id raced past each other (PostgreSQL): the loser answers as a repeat.
    if (isUniqueViolation(err)) {
      const winner = await findEventByTransaction(db, touchpoint.id, input.transaction_id);
      if (winner) return { answer: answerFor(winner), repeated: true };
    }
    throw err;
  }
}
