import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { preparedTransaction } from '../db/statements.ts';
import { getSettings } from '../settings/service.ts';
import { findActiveSurveyForTouchpoint } from '../surveys/queries.ts';
import type { Survey } from '../surveys/model.ts';
import { storeEvents, type CheckedEvent, type EventOutcome, type StoreScope } from './store.ts';

/**
 * Group commit for single events (issue 13): an event that arrives while another is being stored waits,
 * and the events that waited are stored together, in order of arrival, in one transaction (storeEvents:
 * each decided exactly as it would be alone, a customer's later event seeing what an earlier one
 * scheduled), committed before any of their requests is answered. With nothing in flight an event is
 * stored on the next turn of the event loop, alone: waiting adds next to no time, and under load one commit
 * (the costly part of a write) serves many events. A group the database refuses as a whole (a race on a transaction id with another
 * process, an event it cannot store) is stored again one event per transaction, so each request gets its
 * own answer or its own error.
 */

/** Events stored together at most (as a batch's chunk). */
const GROUP_MAX = 250;

type Kind = Pick<StoreScope, 'source' | 'recordOnly'>;

interface Waiting {
  event: CheckedEvent;
  kind: Kind;
  resolve(outcome: EventOutcome): void;
  reject(err: unknown): void;
}

interface Queue {
  waiting: Waiting[];
  storing: boolean;
}

// One queue per database a knex instance opened (its transactions share the client's config).
const queues = new WeakMap<object, Queue>();

/** Stores one event, together with the others waiting at the time (see above); its outcome once committed. */
export function storeWithOthers(deps: Deps, event: CheckedEvent, kind: Kind): Promise<EventOutcome> {
  const key = deps.db.client.config as object;
  let queue = queues.get(key);
  if (!queue) queues.set(key, (queue = { waiting: [], storing: false }));
  const stored = new Promise<EventOutcome>((resolve, reject) => queue.waiting.push({ event, kind, resolve, reject }));
  if (!queue.storing) {
    // Started on the next turn of the event loop, so requests whose bodies have already arrived join the
    // first group (on SQLite a store never waits for the database, so nothing else would run in between).
    queue.storing = true;
    setImmediate(() => void drain(deps, queue));
  }
  return stored;
}

const sameKind = (a: Kind, b: Kind) => a.source === b.source && Boolean(a.recordOnly) === Boolean(b.recordOnly);

async function drain(deps: Deps, queue: Queue): Promise<void> {
  try {
    while (queue.waiting.length) {
      // The leading events of one kind (an import's record-only events are not mixed with the API's).
      let count = 1;
      while (count < Math.min(GROUP_MAX, queue.waiting.length) && sameKind(queue.waiting[count].kind, queue.waiting[0].kind)) count++;
      const group = queue.waiting.splice(0, count);
      try {
        const outcomes = await storeTogether(deps, group.map((w) => w.event), group[0].kind);
        group.forEach((w, i) => w.resolve(outcomes[i]));
      } catch (err) {
        if (group.length === 1) group[0].reject(err);
        else await Promise.all(group.map((w) => storeTogether(deps, [w.event], w.kind).then(([outcome]) => w.resolve(outcome), w.reject)));
      }
    }
  } finally {
    queue.storing = false;
  }
}

/**
 * Events stored in one transaction (storeEvents), the settings and each touchpoint's active survey read
 * before it (from the process's cache): a group here, a chunk of a batch.
 */
export async function storeTogether(deps: Deps, events: CheckedEvent[], kind: Kind): Promise<EventOutcome[]> {
  const settings = await getSettings(deps.db);
  const surveys = await activeSurveys(deps.db, events);
  return preparedTransaction(deps.db, (sql) => storeEvents(sql, deps, events, { now: deps.clock.now(), settings, surveys, ...kind }));
}

/** The active survey of each touchpoint of the events, read before a transaction (from the process's cache). */
async function activeSurveys(db: Knex, events: readonly CheckedEvent[]): Promise<Map<number, Survey | undefined>> {
  const surveys = new Map<number, Survey | undefined>();
  for (const { touchpoint } of events) {
    if (!surveys.has(touchpoint.id)) surveys.set(touchpoint.id, await findActiveSurveyForTouchpoint(db, touchpoint.id));
  }
  return surveys;
}
