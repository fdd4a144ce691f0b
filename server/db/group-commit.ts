import type { Knex } from 'knex';
import { isTransientDbError, writeTransaction } from './dialect.ts';

/**
 * Group commit (issue 13). Work that arrives while a group is being written waits, and the items that
 * waited are written together, in order of arrival, in one transaction; every caller is answered only once
 * that transaction has committed. With nothing in flight an item is written on the next turn of the event
 * loop, alone, so waiting adds next to no time; under load one commit (the costly part of a write: on
 * SQLite each page changed is written once per commit, and the counters and index pages that writes share
 * are written once for the group) serves many. A group that fails as a whole (the database busy, a commit
 * refused, a race with another process) is written again one item per transaction, so each caller gets its
 * own answer or its own error.
 *
 * Used by the event path (events/group-commit.ts: a group's events stored set-wise) and by writes that run
 * their own statements (writeTogether below: each in a savepoint of the group's transaction).
 */

/** One item's outcome within its group: its value, or the error that undid it alone. */
type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface Grouping<I, O> {
  /** Items written together at most. */
  max: number;
  /** Whether two items may share a group (default: any may). */
  sameKind?(a: I, b: I): boolean;
  /** The group written in one transaction; an outcome per item, in order. Throws when the group failed as a whole. */
  together(items: I[]): Promise<Outcome<O>[]>;
  /** One item in a transaction of its own (after its group failed as a whole). */
  alone(item: I): Promise<O>;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

interface Queue<I, O> {
  waiting: Waiting<I, O>[];
  writing: boolean;
}

/** A group committer: `join(db, item)` writes the item with the others waiting on the same database. */
export function groupCommitter<I, O>(grouping: Grouping<I, O>): (db: Knex, item: I) => Promise<O> {
  // One queue per database a knex instance opened (its transactions share the client's config).
  const queues = new WeakMap<object, Queue<I, O>>();
  const same = grouping.sameKind ?? (() => true);

  async function drain(queue: Queue<I, O>): Promise<void> {
    try {
      while (queue.waiting.length) {
        // The leading items of one kind.
        let count = 1;
        while (count < Math.min(grouping.max, queue.waiting.length) && same(queue.waiting[count].item, queue.waiting[0].item)) count++;
        const group = queue.waiting.splice(0, count);
        try {
          const outcomes = await grouping.together(group.map((w) => w.item));
          group.forEach((w, i) => {
            const outcome = outcomes[i];
            if (outcome.ok) w.resolve(outcome.value);
            else w.reject(outcome.error);
          });
        } catch (err) {
          if (group.length === 1) group[0].reject(err);
          else await Promise.all(group.map((w) => grouping.alone(w.item).then(w.resolve, w.reject)));
        }
      }
    } finally {
      queue.writing = false;
    }
  }

  return (db, item) => {
    const key = db.client.config as object;
    let queue = queues.get(key);
    if (!queue) queues.set(key, (queue = { waiting: [], writing: false }));
    const written = new Promise<O>((resolve, reject) => queue.waiting.push({ item, resolve, reject }));
    if (!queue.writing) {
      // Started on the next turn of the event loop, so requests whose bodies have already arrived join the
      // first group (on SQLite a write never waits for the database, so nothing else would run in between).
      queue.writing = true;
      setImmediate(() => void drain(queue));
    }
    return written;
  };
}

type Work = { db: Knex; fn: (trx: Knex.Transaction) => Promise<unknown> };

const joinWrite = groupCommitter<Work, unknown>({
  max: 50,
  async together(works) {
    return writeTransaction(works[0].db, async (trx) => {
      const outcomes: Outcome<unknown>[] = [];
      for (const work of works) {
        try {
          // A savepoint of the group's transaction: an error undoes this write alone.
          outcomes.push({ ok: true, value: await trx.transaction((savepoint) => work.fn(savepoint)) });
        } catch (error) {
          // The database could not go on (busy, a lost connection): the group fails as a whole and each is written alone.
          if (isTransientDbError(error)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    });
  },
  alone: (work) => writeTransaction(work.db, work.fn),
});

/**
 * A write transaction (writeTransaction) shared with the writes that arrive meanwhile: `fn` runs in a
 * savepoint of the group's transaction, so what it throws undoes its own writes only and reaches its caller
 * after the commit. `fn` must do all its database work through the transaction it is given.
 */
export function writeTogether<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  // Inside a caller's transaction: a savepoint of it, as writeTransaction does (a group is of whole transactions).
  if (db.isTransaction) return writeTransaction(db, fn);
  return joinWrite(db, { db, fn }) as Promise<T>;
}
