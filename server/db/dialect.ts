import type { Knex } from 'knex';

/**
 * The few places where SQLite and PostgreSQL differ. Every other query is
 * plain knex and runs on both.
 */
export const isPostgres = (db: Knex): boolean => db.client.config.client === 'pg';

/**
 * A property of a JSON object column (event and response properties, session data) as text, the way the segment rollup writes it (segmentValue in
 * server/responses/store.ts): strings as they are, numbers written out, true/false as words; null,
 * objects and arrays as SQL NULL.
 */
export function propertyValueText(db: Knex, column: string, name: string): Knex.Raw {
  if (isPostgres(db)) {
    return db.raw("(CASE jsonb_typeof(??::jsonb -> ?) WHEN 'object' THEN NULL WHEN 'array' THEN NULL ELSE ??::jsonb ->> ? END)", [column, name, column, name]);
  }
  const path = '$.' + JSON.stringify(name);
  return db.raw(
    "(CASE json_type(??, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'text' THEN json_extract(??, ?) WHEN 'integer' THEN CAST(json_extract(??, ?) AS TEXT) WHEN 'real' THEN CAST(json_extract(??, ?) AS TEXT) END)",
    [column, path, column, path, column, path, column, path],
  );
}

/**
 * Serialises every decision about one customer: the first statement of the
 * transaction writes the customer's row, so a second transaction for the same
 * customer waits (a row lock on PostgreSQL, the single writer on SQLite). The
 * event path needs no separate lock: its customer upsert (upsertCustomer in
 * server/customers/queries.ts) is that first write. On PostgreSQL an
 * `INSERT … ON CONFLICT DO UPDATE` locks the existing row for the rest of the
 * transaction exactly as this UPDATE does (a new row is locked by its insert: a
 * second insert of the same key waits on its unique index, then updates it);
 * on SQLite writeTransaction holds the database's only write lock from its
 * first statement.
 */
export async function lockCustomer(trx: Knex.Transaction, customerId: number, nowIso: string): Promise<void> {
  await trx('customers').where({ id: customerId }).update({ updated_at: nowIso });
}

/**
 * Rows that several workers may try to claim at once: PostgreSQL skips rows
 * another transaction holds; SQLite has one writer, so a plain select is safe
 * inside the write transaction.
 */
export function forClaim<T extends {}>(db: Knex, query: Knex.QueryBuilder<T>): Knex.QueryBuilder<T> {
  return isPostgres(db) ? query.forUpdate().skipLocked() : query;
}

/** Runs fn in a transaction that takes the write lock first on SQLite (no upgrade deadlocks). */
export async function writeTransaction<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    if (!isPostgres(db)) {
      // A no-op write makes SQLite take its write lock now rather than on the first real write.
      await trx.raw('UPDATE settings SET key = key WHERE 0');
    }
    return fn(trx);
  });
}

export const isUniqueViolation = (err: unknown): boolean => {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};

/** count(*) comes back as a string from PostgreSQL. */
export const toCount = (value: unknown): number => Number(value ?? 0);

/**
 * Errors that mean "the database could not do it just now; nothing was written, try again": SQLite's busy
 * and locked codes (another process held the write lock past busy_timeout); PostgreSQL's serialisation
 * failure, deadlock and lock timeout; a lost or refused connection, a terminated backend, a server
 * starting or stopping, a failover, too many connections; no pooled connection free in time. A
 * transaction cut off this way rolled back (or, cut at its commit, is found by an idempotent retry), so
 * trying the whole operation again is safe.
 */
export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null | undefined;
  const code = String(e?.code ?? '');
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
  // PostgreSQL: serialization_failure, deadlock_detected, lock_not_available, connection_exception (class 08),
  // admin/crash shutdown, cannot_connect_now, too_many_connections, read-only (a standby after failover).
  if (['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300', '25006'].includes(code) || code.startsWith('08')) return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) return true;
  if (e?.name === 'KnexTimeoutError') return true;
  return /Connection terminated|Client has encountered a connection error|Connection ended unexpectedly|terminating connection|the database system is (starting up|shutting down)|Timeout acquiring a connection/i.test(String(e?.message ?? ''));
}
