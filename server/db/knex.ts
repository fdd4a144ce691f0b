import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { forgetOnWrites } from './versioned-cache.ts';
import { keepPreparedStatements } from './statements.ts';
import { AUTOCHECKPOINT_BACKSTOP, checkpointInBackground } from './checkpoints.ts';

export type Db = Knex;

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** PostgreSQL connections per process unless DATABASE_POOL_MAX says otherwise. */
const DEFAULT_POOL_MAX = 10;

export interface OpenOptions {
  poolMax?: number;
  /**
   * SQLite: checkpoint the write-ahead log in a thread of this process (checkpoints.ts) instead of in the
   * commits of requests; for the long-running processes. Told of a checkpoint that failed.
   */
  checkpointInBackground?: { onError(message: string): void };
}

/**
 * Opens the database: a SQLite file (WAL, foreign keys on, one connection whose prepared statements are
 * kept) or PostgreSQL (a pool of up to `poolMax` connections).
 */
export function openDb(databaseUrl: string, options: OpenOptions = {}): Db {
  const background = isPostgresUrl(databaseUrl) ? undefined : options.checkpointInBackground;
  const db = connect(databaseUrl, options.poolMax ?? DEFAULT_POOL_MAX, background ? AUTOCHECKPOINT_BACKSTOP : undefined);
  // What this process caches (versioned-cache.ts) is forgotten when it writes a cached table directly.
  forgetOnWrites(db);
  if (background) {
    const checkpoints = checkpointInBackground(path.resolve(databaseUrl), background.onError);
    // Ended with the connection: knex's destroy() ends its client (knex itself is read-only).
    const client = db.client as { destroy(callback?: unknown): Promise<unknown> };
    const destroy = client.destroy.bind(client);
    client.destroy = async (callback?: unknown) => {
      await checkpoints.stop();
      return destroy(callback);
    };
  }
  return db;
}

function connect(databaseUrl: string, poolMax: number, autocheckpoint: number | undefined): Db {
  if (isPostgresUrl(databaseUrl)) {
    return knexFactory({
      client: 'pg',
      connection: databaseUrl,
      pool: { min: 0, max: poolMax },
    });
  }
  const file = path.resolve(databaseUrl);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      afterCreate(conn: Parameters<typeof keepPreparedStatements>[0] & { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 10000');
        conn.pragma('synchronous = NORMAL');
        if (autocheckpoint) conn.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
        // Dashboards read counters and indexes of a file that grows to gigabytes: 64 MiB of page cache (the
        // default is 2 MiB) and reads through a memory map of up to 1 GiB instead of a copy per page.
        conn.pragma('cache_size = -65536');
        conn.pragma('mmap_size = 1073741824');
        keepPreparedStatements(conn);
        done(null, conn);
      },
    },
  });
}

/** Migrations are TypeScript modules in migrations/, loaded in name order. */
const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return fs
      .readdirSync(migrationsDir)
      .filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f))
      .sort();
  },
  getMigrationName(name) {
    return name.replace(/\.ts$/, '.js');
  },
  async getMigration(name) {
    return import(pathToFileURL(path.join(migrationsDir, name)).href);
  },
};

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}

/** Applies the next migration alone; its name, or null when all are applied (the schema-hash test walks them one by one). */
export async function migrateNext(db: Db): Promise<string | null> {
  const [, applied] = await db.migrate.up({ migrationSource });
  return (applied as string[])[0] ?? null;
}

/**
 * Migrations this code has that the database has not applied (`pending`), and those the database has that
 * this code does not know (`unknown`: a newer release migrated it, as during a rolling upgrade), by name.
 * Lists only: nothing is loaded.
 */
export async function migrationStatus(db: Db): Promise<{ pending: string[]; unknown: string[] }> {
  const [completed, pending] = (await db.migrate.list({ migrationSource, disableMigrationsListValidation: true })) as [{ name: string }[], string[]];
  const known = new Set((await migrationSource.getMigrations([])).map((file) => migrationSource.getMigrationName(file)));
  return {
    pending: pending.map((file) => migrationSource.getMigrationName(file)),
    unknown: completed.map((row) => row.name).filter((name) => !known.has(name)),
  };
}

export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}
