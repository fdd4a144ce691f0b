import type { Knex } from 'knex';
import { performance } from 'node:perf_hooks';

/**
 * What a request needs on every call, read once per process (issue 13): the settings, touchpoints and
 * active surveys, API keys, the enabled webhook endpoints. Each kind has a version in the table cache_versions; a write that changes
 * what is cached moves it on in its own transaction (bumpVersion). A process reads the versions at most
 * once a second (VERSION_CHECK_MS) and forgets the kinds whose version moved, so another process's
 * change is seen within a second; a change this process makes is seen here at once (bumpVersion
 * forgets the kind as its transaction ends).
 *
 * The cache belongs to the database a knex instance opened (its transactions share it): several
 * instances in one process, as in the tests, each have their own.
 */
export type CacheName = 'settings' | 'surveys' | 'api_keys' | 'webhooks';

/** At most this long between two reads of the versions, per process and database. */
const VERSION_CHECK_MS = 1000;

interface Kind {
  /** Values by key ('' for a kind cached whole). */
  entries: Map<string, unknown>;
  /** Moves on whenever the entries are forgotten: a load that began before is not kept. */
  generation: number;
  /** The version the entries were read under, as cache_versions last said. */
  version: number | undefined;
}

interface State {
  kinds: Map<CacheName, Kind>;
  /** performance.now() when the last read of the versions began. */
  checkedAt: number;
  /** The read of the versions under way outside a transaction, shared by the calls that wait for it. */
  checking: Promise<void> | null;
  /** Kinds written (without bumpVersion) inside a transaction still open: forgotten again when one ends. */
  writtenInTransaction: Set<CacheName>;
}

// Keyed by the knex client's config, which an instance shares with every transaction it opens.
const states = new WeakMap<object, State>();

function stateOf(db: Knex): State {
  const key = db.client.config as object;
  let state = states.get(key);
  if (!state) {
    state = { kinds: new Map(), checkedAt: -Infinity, checking: null, writtenInTransaction: new Set() };
    states.set(key, state);
  }
  return state;
}

function kindOf(state: State, name: CacheName): Kind {
  let kind = state.kinds.get(name);
  if (!kind) {
    kind = { entries: new Map(), generation: 0, version: undefined };
    state.kinds.set(name, kind);
  }
  return kind;
}

function forget(state: State, name: CacheName): void {
  const kind = kindOf(state, name);
  kind.entries.clear();
  kind.generation++;
}

async function readVersions(db: Knex, state: State): Promise<void> {
  const startedAt = performance.now();
  const rows: { name: string; version: number | string }[] = await db('cache_versions').select('name', 'version');
  for (const row of rows) {
    const kind = kindOf(state, row.name as CacheName);
    const version = Number(row.version);
    if (kind.version !== version) {
      if (kind.version !== undefined) forget(state, row.name as CacheName);
      kind.version = version;
    }
  }
  state.checkedAt = Math.max(state.checkedAt, startedAt);
}

/** Reads the versions when the last read began a second ago or more. */
async function freshen(db: Knex, state: State): Promise<void> {
  if (performance.now() - state.checkedAt < VERSION_CHECK_MS) return;
  // A transaction reads through its own connection and never waits for another read (on SQLite the
  // other read would wait for the one connection this transaction holds).
  if (db.isTransaction) return readVersions(db, state);
  if (state.checking) {
    await state.checking.catch(() => undefined);
    if (performance.now() - state.checkedAt < VERSION_CHECK_MS) return;
  }
  const check = readVersions(db, state);
  state.checking = check;
  try {
    await check;
  } finally {
    if (state.checking === check) state.checking = null;
  }
}

// Transactions that bumped a kind: their reads of it bypass the cache (they may see their own writes).
const bumpedIn = new WeakMap<object, Set<CacheName>>();

type Transactor = Knex & { parentTransaction?: Transactor; executionPromise?: Promise<unknown> };

function bumpedHere(db: Knex, name: CacheName): boolean {
  for (let trx = db as Transactor | undefined; trx?.isTransaction; trx = trx.parentTransaction) {
    if (bumpedIn.get(trx)?.has(name)) return true;
  }
  return false;
}

export interface CachedOptions<T> {
  /** Which value of the kind ('' for a kind cached whole). */
  key?: string;
  /** Whether to keep this value (say, not an unknown key someone made up); kept when absent. */
  keep?: (value: T) => boolean;
}

/**
 * The value `load` gives for (`name`, `key`), from memory while the kind's version is unchanged. The
 * value is shared by every caller until the next change: freeze it (deepFreeze) or never change it.
 * Inside a transaction that has bumped `name`, `load` runs every time and nothing is kept.
 */
export async function cached<T>(db: Knex, name: CacheName, load: () => Promise<T>, options: CachedOptions<T> = {}): Promise<T> {
  if (db.isTransaction && bumpedHere(db, name)) return load();
  const state = stateOf(db);
  await freshen(db, state);
  const kind = kindOf(state, name);
  const key = options.key ?? '';
  if (kind.entries.has(key)) return kind.entries.get(key) as T;
  const generation = kind.generation;
  const value = await load();
  if (kind.generation !== generation || !(options.keep?.(value) ?? true)) return value;
  // A transaction may read from a snapshot older than the version this process knows (a SQLite
  // transaction keeps the snapshot of its first read, as PostgreSQL's repeatable read does): keep what
  // it read only if it sees that version or a later one (later: the next read of the versions forgets it).
  if (db.isTransaction && kind.version !== undefined && ((await readVersion(db, name)) ?? -Infinity) < kind.version) return value;
  if (kind.generation === generation) kind.entries.set(key, value);
  return value;
}

async function readVersion(db: Knex, name: CacheName): Promise<number | undefined> {
  const row: { version: number | string } | undefined = await db('cache_versions').where({ name }).first('version');
  return row ? Number(row.version) : undefined;
}

/**
 * Moves the version of `name` on: call it in the same transaction as every write that changes what
 * the kind caches (before reading the kind again in that transaction). Every process sees the change
 * within a second; this one forgets the kind as the transaction ends (committed or not). Outside a
 * transaction, call it after the writes.
 */
export async function bumpVersion(db: Knex, name: CacheName): Promise<void> {
  await db('cache_versions').where({ name }).increment('version', 1);
  const state = stateOf(db);
  if (!db.isTransaction) return forget(state, name);
  let outer = db as Transactor;
  for (let trx: Transactor | undefined = outer; trx?.isTransaction; trx = trx.parentTransaction) {
    outer = trx;
    const names = bumpedIn.get(trx) ?? new Set<CacheName>();
    names.add(name);
    bumpedIn.set(trx, names);
  }
  const done = () => forget(state, name);
  if (outer.executionPromise) outer.executionPromise.then(done, done);
  else forget(state, name);
}

/** Which kinds a statement writes: a built insert, update or delete (not raw SQL); the "last used" time of a key is none. */
function kindsWritten(obj: { method?: string; sql?: string }): CacheName[] {
  if (!obj.sql || obj.method === 'raw') return [];
  const match = /^\s*(insert\s+into|update|delete\s+from)\s+[`"]?(\w+)/i.exec(obj.sql);
  if (!match) return [];
  switch (match[2]) {
    case 'settings':
      return ['settings'];
    case 'surveys':
    case 'touchpoints':
      return ['surveys'];
    case 'api_keys':
      return /^\s*update\s+\S+\s+set\s+[`"]?last_used_at[`"]?\s*=\s*(\?|\$\d+)\s+where\b/i.test(obj.sql) ? [] : ['api_keys'];
    case 'webhook_endpoints':
      return ['webhooks'];
    case 'users':
      // A key carries its owner's deactivation.
      return /^\s*delete/i.test(obj.sql) || /deactivated_at/i.test(obj.sql) ? ['api_keys'] : [];
    default:
      return [];
  }
}

/**
 * For writes through this instance that do not bump a version (a test's or a script's insert straight
 * into a table): this process forgets the kind as the statement returns, and again as a transaction
 * ends. Other processes learn of such writes only from the next bump. Called by openDb.
 */
export function forgetOnWrites(db: Knex): void {
  const state = stateOf(db);
  db.on('query-response', (_response: unknown, obj: { method?: string; sql?: string; __knexTxId?: string }) => {
    for (const name of kindsWritten(obj)) {
      forget(state, name);
      if (obj.__knexTxId) state.writtenInTransaction.add(name);
    }
  });
  db.on('query', (obj: { sql?: string }) => {
    if (!state.writtenInTransaction.size || !/^(COMMIT|ROLLBACK)\b/i.test(obj.sql ?? '')) return;
    for (const name of state.writtenInTransaction) forget(state, name);
    state.writtenInTransaction.clear();
  });
}

/** `value` and everything in it made read-only, for a value many callers share. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
