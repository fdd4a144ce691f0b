import type { Knex } from 'knex';
import type { Deps } from '../deps.ts';
import { preparedTransaction } from '../db/statements.ts';
import { groupCommitter } from '../db/group-commit.ts';
import { getSettings } from '../settings/service.ts';
import { findActiveSurveyForTouchpoint } from '../surveys/queries.ts';
import type { Survey } from '../surveys/model.ts';
import { ratesFor, type RateInForce } from '../precision/service.ts';
import { storeEvents, type CheckedEvent, type EventOutcome, type StoreScope } from './store.ts';

/**
 * Group commit for single events (issue 13, db/group-commit.ts): an event that arrives while others are
 * being stored waits, and the events that waited are stored together, in order of arrival, in one
 * transaction (storeEvents: each decided exactly as it would be alone, a customer's later event seeing what
 * an earlier one scheduled), committed before any of their requests is answered. A group the database
 * refuses as a whole (a race on a transaction id with another process, an event it cannot store) is stored
 * again one event per transaction, so each request gets its own answer or its own error.
 */

type Kind = Pick<StoreScope, 'source' | 'recordOnly'>;

interface Arrived {
  deps: Deps;
  event: CheckedEvent;
  kind: Kind;
}

const joinGroup = groupCommitter<Arrived, EventOutcome>({
  // As a batch's chunk.
  max: 250,
  // An import's record-only events are not mixed with the API's.
  sameKind: (a, b) => a.kind.source === b.kind.source && Boolean(a.kind.recordOnly) === Boolean(b.kind.recordOnly),
  async together(group) {
    const outcomes = await storeTogether(group[0].deps, group.map((a) => a.event), group[0].kind);
    return outcomes.map((value) => ({ ok: true as const, value }));
  },
  alone: async ({ deps, event, kind }) => (await storeTogether(deps, [event], kind))[0],
});

/** Stores one event, together with the others waiting at the time (see above); its outcome once committed. */
export const storeWithOthers = (deps: Deps, event: CheckedEvent, kind: Kind): Promise<EventOutcome> => joinGroup(deps.db, { deps, event, kind });

/**
 * Events stored in one transaction (storeEvents), the settings and each touchpoint's active survey read
 * before it (from the process's cache): a group here, a chunk of a batch.
 */
export async function storeTogether(deps: Deps, events: CheckedEvent[], kind: Kind): Promise<EventOutcome[]> {
  const settings = await getSettings(deps.db);
  const surveys = await activeSurveys(deps.db, events);
  const rates = await precisionRates(deps, surveys);
  return preparedTransaction(deps.db, (sql) => storeEvents(sql, deps, events, { now: deps.clock.now(), settings, surveys, rates, ...kind }));
}

/** Today's rates of the surveys with a precision target (worked out first when not yet today's). */
async function precisionRates(deps: Deps, surveys: ReadonlyMap<number, Survey | undefined>): Promise<Map<number, readonly RateInForce[]>> {
  const rates = new Map<number, readonly RateInForce[]>();
  for (const survey of surveys.values()) if (survey?.precision_target) rates.set(survey.id, await ratesFor(deps, survey));
  return rates;
}

/** The active survey of each touchpoint of the events, read before a transaction (from the process's cache). */
async function activeSurveys(db: Knex, events: readonly CheckedEvent[]): Promise<Map<number, Survey | undefined>> {
  const surveys = new Map<number, Survey | undefined>();
  for (const { touchpoint } of events) {
    if (!surveys.has(touchpoint.id)) surveys.set(touchpoint.id, await findActiveSurveyForTouchpoint(db, touchpoint.id));
  }
  return surveys;
}
