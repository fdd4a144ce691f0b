// The benchmark's database and app: a fresh SQLite file (or PostgreSQL database), migrated, with users,
// an API key and 20 active surveys, served on loopback. Customers are added by the caller.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig } from '../../server/config.ts';
import { isPostgresUrl, migrateLatest, openDb } from '../../server/db/knex.ts';
import { ManualClock } from '../../server/clock.ts';
import { silentLog } from '../../server/log.ts';
import { createApp } from '../../server/app.ts';
import { createTransport } from '../../server/mail/transports.ts';
import type { Deps } from '../../server/deps.ts';
import { createUser } from '../../server/auth/service.ts';
import { createApiKey } from '../../server/apikeys/service.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import type { Metric, Survey } from '../../server/surveys/model.ts';
import { NOW, listen, log } from './common.ts';

export const SURVEYS = 20;
export const HISTORY_DAYS = 730;
export const PASSWORD = 'correct horse battery';

export interface Bench {
  kind: 'sqlite' | 'postgres';
  deps: Deps;
  clock: ManualClock;
  db: Knex;
  apiKey: string;
  surveys: Survey[];
  /** The app on loopback. */
  base: string;
  /** Customers with external ids c-1 … c-N (set by whoever loads them). */
  customers: number;
  responseCount(): Promise<number>;
  close(): Promise<void>;
}

/** Creates the database (a temporary SQLite file, or a new database beside the one in `pgUrl`). */
async function freshDatabase(pgUrl: string | undefined): Promise<{ url: string; drop(): Promise<void> }> {
  if (!pgUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-bench-'));
    return { url: path.join(dir, 'bench.db'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `tp_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = () => knexFactory({ client: 'pg', connection: pgUrl, pool: { min: 0, max: 1 } });
  const a = admin();
  await a.raw('CREATE DATABASE ??', [name]);
  await a.destroy();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const b = admin();
      await b.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      await b.destroy();
    },
  };
}

export async function openBench(pgUrl?: string): Promise<Bench> {
  if (pgUrl && !isPostgresUrl(pgUrl)) throw new Error('BENCH_DATABASE_URL must be a postgres:// URL');
  const database = await freshDatabase(pgUrl);
  const config = loadConfig({
    DATABASE_URL: database.url,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-01',
    BASE_URL: 'http://127.0.0.1:3000',
    LOG_LEVEL: 'silent',
  });
  // As `touchpoint serve` opens it (SQLite's log checkpointed in a thread).
  const db = openDb(config.databaseUrl, process.env.XNOBG ? {} : { poolMax: config.databasePoolMax, checkpointInBackground: { onError: (message) => log(`checkpoint failed: ${message}`) } });
  await migrateLatest(db);
  const clock = new ManualClock(NOW);
  const deps: Deps = { config, db, clock, log: silentLog, mail: createTransport(config, db, silentLog) };
  const setupAt = new Date(NOW.getTime() - (HISTORY_DAYS + 1) * 86_400_000);
  await createUser(db, { email: 'admin@example.com', role: 'admin', password: PASSWORD }, setupAt);
  await createUser(db, { email: 'viewer@example.com', role: 'viewer', password: PASSWORD }, setupAt);
  const { key: apiKey } = await createApiKey(db, { name: 'bench' }, setupAt);
  const metricsCycle: Metric[] = ['nps', 'csat', 'ces'];
  const surveys: Survey[] = [];
  for (let i = 0; i < SURVEYS; i++) {
    const metric = metricsCycle[i % 3];
    const n = String(i + 1).padStart(2, '0');
    surveys.push(await createSurvey(db, { key: `touchpoint-${n}-${metric}`, touchpoint: `touchpoint-${n}`, touchpoint_name: `Touchpoint ${i + 1}`, metric, status: 'active' }, setupAt));
  }
  const app = await listen(createApp(deps));
  return {
    kind: pgUrl ? 'postgres' : 'sqlite',
    deps,
    clock,
    db,
    apiKey,
    surveys,
    base: app.base,
    customers: 0,
    async responseCount() {
      const [row] = await db('responses').count({ n: '*' });
      return Number(row.n);
    },
    async close() {
      await app.close();
      await deps.mail.close();
      await db.destroy();
      await database.drop();
    },
  };
}

/** Customers c-1 … c-count through knex in chunks (the PostgreSQL path; SQLite loads in bulk in dashboards.ts). */
export async function insertCustomers(bench: Bench, count: number): Promise<void> {
  const at = new Date(NOW.getTime() - (HISTORY_DAYS + 1) * 86_400_000).toISOString();
  const regions = ['north', 'south', 'east', 'west'];
  for (let from = 1; from <= count; from += 1000) {
    const rows = [];
    for (let i = from; i < Math.min(count + 1, from + 1000); i++) {
      rows.push({ external_id: `c-${i}`, email: `customer.${i}@example.com`, name: `Customer ${i}`, locale: i % 3 ? 'en' : 'de', properties: `{"region":"${regions[i % 4]}"}`, created_at: at, updated_at: at });
    }
    await bench.db('customers').insert(rows);
  }
  bench.customers = count;
}
