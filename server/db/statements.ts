import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isPostgres } from './dialect.ts';

/**
 * The hot paths' statements (issue 13): fixed SQL texts, written once for both databases with `?`
 * placeholders, prepared once per connection and kept for its life (better-sqlite3's own prepared
 * statements; on PostgreSQL, named prepared statements through `pg`), run on the raw connection without
 * knex's query builder. The query modules keep their SQL here-or-there as before; only how it runs differs.
 * Values are strings, numbers or null (as the hot paths bind them).
 *
 * Every statement is also announced as a knex 'query' event ({ sql, bindings, method: 'prepared' }), so
 * what listens to knex (the statement counts of the tests, debugging) sees these too.
 */
export interface Statements {
  /** The rows of a SELECT, or of a write with RETURNING. */
  rows<T>(sql: string, params: readonly Bindable[]): Promise<T[]>;
  /** A write: how many rows it changed. */
  run(sql: string, params: readonly Bindable[]): Promise<number>;
}

type Bindable = string | number | null;

interface SqliteStatement {
  reader: boolean;
  all(params: readonly Bindable[]): unknown[];
  run(params: readonly Bindable[]): { changes: number };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
interface PgConnection {
  query(config: { name: string; text: string; values: readonly Bindable[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** Statements a connection keeps at most (the hot paths have a few dozen texts; a batch's rollup one per width). */
const KEPT_PER_CONNECTION = 500;

/**
 * better-sqlite3: every statement text prepared once per connection, for knex's queries too (installed by
 * openDb on each new connection: knex prepares again on every query otherwise). A statement runs to its end
 * before the next one starts (the driver is synchronous), so one prepared statement serves every caller.
 */
export function keepPreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const kept = new Map<string, SqliteStatement>();
  conn.prepare = (sql: string) => {
    let statement = kept.get(sql);
    if (!statement) {
      statement = prepare(sql);
      if (kept.size >= KEPT_PER_CONNECTION) kept.delete(kept.keys().next().value!);
      kept.set(sql, statement);
    }
    return statement;
  };
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the hot paths' texts hold no `?` in literals). */
const pgTexts = new Map<string, { name: string; text: string }>();
function pgText(sql: string): { name: string; text: string } {
  let known = pgTexts.get(sql);
  if (!known) {
    let n = 0;
    known = { name: `tp_${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 24)}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    pgTexts.set(sql, known);
  }
  return known;
}

function statementsOn(db: Knex, conn: unknown): Statements {
  // One way to run a text on this connection, per driver: its rows, and how many rows it changed.
  const execute: (sql: string, params: readonly Bindable[]) => Promise<{ rows: unknown[]; changes: number }> = isPostgres(db)
    ? async (sql, params) => {
        const result = await (conn as PgConnection).query({ ...pgText(sql), values: params });
        return { rows: result.rows, changes: result.rowCount ?? 0 };
      }
    : async (sql, params) => {
        const statement = (conn as SqliteConnection).prepare(sql);
        if (!statement.reader) return { rows: [], changes: statement.run(params).changes };
        // A write with RETURNING: one row back per row changed.
        const rows = statement.all(params);
        return { rows, changes: rows.length };
      };
  const announced = (sql: string, params: readonly Bindable[]) => {
    // Through the client: on a knex transaction's, it reaches the listeners of the knex instance too, as knex's own queries do.
    (db.client as { emit(event: string, data: unknown): void }).emit('query', { sql, bindings: params, method: 'prepared' });
    return execute(sql, params);
  };
  return {
    rows: async <T>(sql: string, params: readonly Bindable[]) => (await announced(sql, params)).rows as T[],
    run: async (sql: string, params: readonly Bindable[]) => (await announced(sql, params)).changes,
  };
}

type ConnectionClient = { acquireConnection(): Promise<unknown>; releaseConnection(conn: unknown): Promise<unknown> };

/** The statements of a knex transaction already open: they run on its connection, inside it. */
export async function statementsOf(trx: Knex.Transaction): Promise<Statements> {
  // A transaction's client hands out the transaction's own connection.
  return statementsOn(trx, await (trx.client as ConnectionClient).acquireConnection());
}

/**
 * A write transaction on one connection taken from the pool once: on SQLite `BEGIN IMMEDIATE` (the write
 * lock first, so reads inside it see the latest commit and no upgrade can deadlock; requests wait for the
 * one connection in this process, not in the driver), on PostgreSQL `BEGIN`. Committed before it returns;
 * rolled back when `fn` throws.
 */
export async function preparedTransaction<T>(db: Knex, fn: (sql: Statements) => Promise<T>): Promise<T> {
  const client = db.client as ConnectionClient;
  const conn = await client.acquireConnection();
  const sql = statementsOn(db, conn);
  const begin = isPostgres(db) ? 'BEGIN' : 'BEGIN IMMEDIATE';
  let open = false;
  try {
    await sql.run(begin, []);
    open = true;
    const result = await fn(sql);
    await sql.run('COMMIT', []);
    open = false;
    return result;
  } catch (err) {
    if (open) await sql.run('ROLLBACK', []).catch(() => undefined);
    throw err;
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * The statements to run a query module's fixed SQL with: `db` itself on the prepared paths, or those of a
 * knex transaction (statementsOf) for the callers that hold one. One text serves both.
 */
export async function statementsFor(db: Statements | Knex.Transaction): Promise<Statements> {
  // A knex transaction is a function (a query builder factory); Statements is a plain object.
  return typeof db === 'function' ? statementsOf(db) : db;
}
