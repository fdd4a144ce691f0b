// npm run bench: dashboard and metrics timings on a synthetic data set, each beside this machine's floor.
//
// Builds a temporary SQLite file with 100,000 customers and up to 1,000,000 responses over 20 surveys
// (BENCH_RESPONSES shrinks it; BENCH_RUNS sets the runs per figure), then at 10k, 100k and 1M responses
// times the dashboard trend query, GET /api/v1/metrics and the dashboard pages, and prints a table and
// one JSON line. Floors: a bare Express route answered through the same HTTP path, and a bare
// better-sqlite3 SELECT of the same rows. Not a test: it asserts nothing.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfig } from '../../server/config.ts';
import { migrateLatest, openDb } from '../../server/db/knex.ts';
import { ManualClock } from '../../server/clock.ts';
import { silentLog } from '../../server/log.ts';
import { createApp } from '../../server/app.ts';
import { createTransport } from '../../server/delivery/transports.ts';
import type { Deps } from '../../server/deps.ts';
import { createUser } from '../../server/auth/service.ts';
import { createApiKey } from '../../server/apikeys/service.ts';
import { createSurvey } from '../../server/surveys/service.ts';
import { scales, type Metric, type Survey } from '../../server/surveys/model.ts';
import { surveyMetrics } from '../../server/metrics/service.ts';
import { addDays } from '../../server/metrics/series.ts';

const TARGET = Number(process.env.BENCH_RESPONSES ?? 1_000_000);
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 7));
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const SURVEYS = 20;
const HISTORY_DAYS = 730;
const NOW = new Date('2026-11-23T10:00:00Z');
const TODAY = NOW.toISOString().slice(0, 10);
const FROM = addDays(TODAY, -(HISTORY_DAYS - 1));
const stages = [10_000, 100_000, 1_000_000].filter((n) => n < TARGET).concat(TARGET);

/** The part of a better-sqlite3 connection this benchmark uses (knex hands out the real one). */
interface Statement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface SqliteConnection {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}

/** mulberry32: the same data set every run. */
function randomSource(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = randomSource(20261123);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function elapsed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Median milliseconds of RUNS calls of `fn` and of its floor, after a warm-up of each. The two take
 * turns, so that a busy machine slows both alike and the ratio stays honest.
 */
async function timeBeside(fn: () => Promise<unknown> | unknown, floor: () => Promise<unknown> | unknown): Promise<{ ms: number; floorMs: number }> {
  for (let i = 0; i < 2; i++) {
    await fn();
    await floor();
  }
  const own: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    own.push(await elapsed(fn));
    base.push(await elapsed(floor));
  }
  return { ms: median(own), floorMs: median(base) };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function listen(app: http.RequestListener): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(app);
  // The client decides when an idle keep-alive connection ends; a server-side close races the next request.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** GETs a URL and reads the whole body, failing loudly on anything but 200. */
async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
  return body.byteLength;
}

/** Signs in through the login form like a browser and returns the session cookie. */
async function signIn(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`, { redirect: 'manual' });
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password, _csrf: csrf }),
  });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  const fresh = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  return fresh.length ? fresh.join('; ') : cookie;
}

interface Row {
  responses: number;
  measure: string;
  ms: number;
  floor: string;
  floor_ms: number;
  ratio: number;
}

async function main() {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-bench-'));
  const file = path.join(dir, 'bench.db');
  const config = loadConfig({ DATABASE_URL: file, SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-01', BASE_URL: 'http://127.0.0.1:3000', LOG_LEVEL: 'silent' });
  const db = openDb(config.databaseUrl);
  await migrateLatest(db);
  const clock = new ManualClock(NOW);
  const deps: Deps = { config, db, clock, log: silentLog, mail: createTransport(config, db, silentLog) };
  const setupAt = new Date(NOW.getTime() - (HISTORY_DAYS + 1) * 86_400_000);
  await createUser(db, { email: 'admin@example.com', role: 'admin', password: 'correct horse battery' }, setupAt);
  await createUser(db, { email: 'viewer@example.com', role: 'viewer', password: 'correct horse battery' }, setupAt);
  const { key: apiKey } = await createApiKey(db, { name: 'bench' }, setupAt);
  const metricsCycle: Metric[] = ['nps', 'csat', 'ces'];
  const surveys: Survey[] = [];
  for (let i = 0; i < SURVEYS; i++) {
    const metric = metricsCycle[i % 3];
    surveys.push(await createSurvey(db, { key: `touchpoint-${String(i + 1).padStart(2, '0')}-${metric}`, touchpoint: `touchpoint-${String(i + 1).padStart(2, '0')}`, touchpoint_name: `Touchpoint ${i + 1}`, metric, status: 'active' }, setupAt));
  }

  // Bulk loading goes straight through the better-sqlite3 connection that knex holds, in big transactions.
  const load = async (fn: (c: SqliteConnection) => void) => {
    const conn = (await db.client.acquireConnection()) as SqliteConnection;
    // A large page cache while loading (random keys in the answered_at index), the default again for the timings.
    conn.exec('PRAGMA cache_size = -262144');
    try {
      fn(conn);
    } finally {
      conn.exec('PRAGMA cache_size = -2000');
      db.client.releaseConnection(conn);
    }
  };
  const at = setupAt.toISOString();
  log(`loading ${CUSTOMERS.toLocaleString('en')} customers …`);
  await load((c) => {
    const insert = c.prepare('INSERT INTO customers (external_id, email, name, locale, properties, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    c.transaction(() => {
      for (let i = 1; i <= CUSTOMERS; i++) insert.run(`c-${i}`, `customer.${i}@example.com`, `Customer ${i}`, i % 3 ? 'en' : 'de', `{"region":"${pick(['north', 'south', 'east', 'west'])}"}`, at, at);
    })();
  });

  const regions = ['north', 'south', 'east', 'west'];
  const plans = ['starter', 'team', 'enterprise'];
  const agents = ['Alex', 'Birgit', 'Chen', 'Dana', 'Emre', 'Fatima', 'Georg'];
  const comments = ['Quick and friendly.', 'Took far too long.', 'Fine, nothing special.', 'Parcel arrived damaged.', 'Great help, thanks!'];
  const startMs = Date.parse(`${FROM}T00:00:00Z`);
  const spanMs = NOW.getTime() - startMs;
  let inserted = 0;
  async function growTo(total: number) {
    const t0 = Date.now();
    await load((c) => {
      const insert = c.prepare(
        'INSERT INTO responses (survey_id, customer_id, score, comment, channel, locale, answered_at, updated_at, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const batch = c.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const survey = surveys[Math.floor(rnd() * SURVEYS)];
          const { min, max } = scales[survey.metric];
          // Skewed towards the top of the scale, as real answers are.
          const score = Math.max(min, Math.min(max, Math.round(max - (max - min) * rnd() ** 1.6)));
          const answered = new Date(startMs + Math.floor(rnd() * spanMs)).toISOString();
          insert.run(
            survey.id,
            1 + Math.floor(rnd() * CUSTOMERS),
            score,
            rnd() < 0.15 ? pick(comments) : null,
            'email',
            'en',
            answered,
            answered,
            `{"region":"${pick(regions)}","plan":"${pick(plans)}","agent":"${pick(agents)}"}`,
          );
        }
      });
      for (let from = inserted; from < total; from += 50_000) batch(from, Math.min(total, from + 50_000));
      // The daily rollup, computed in bulk: the reporting time zone is UTC, so the local day is the ISO date.
      c.exec(
        'DELETE FROM response_daily; INSERT INTO response_daily (survey_id, day, score, count) SELECT survey_id, substr(answered_at, 1, 10), score, count(*) FROM responses GROUP BY survey_id, substr(answered_at, 1, 10), score; ANALYZE;',
      );
    });
    inserted = total;
    log(`  ${total.toLocaleString('en')} responses and their rollup in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const { server, base } = await listen(createApp(deps));
  const floorApp = express();
  floorApp.disable('x-powered-by');
  floorApp.get('/floor', (_req, res) => res.json({ ok: true }));
  const floor = await listen(floorApp);
  const cookie = await signIn(base, 'viewer@example.com', 'correct horse battery');
  const auth = { Authorization: `Bearer ${apiKey}` };

  /** A bare SELECT through the same better-sqlite3 connection, outside knex. */
  const bareSelect = (sql: string, params: unknown[]) => async () => {
    const c = (await db.client.acquireConnection()) as SqliteConnection;
    try {
      return c.prepare(sql).all(...params);
    } finally {
      db.client.releaseConnection(c);
    }
  };
  const httpFloor = () => get(`${floor.base}/floor`);

  const rows: Row[] = [];
  const survey = surveys[0];
  const q90 = new URLSearchParams({ from: addDays(TODAY, -89), to: TODAY });
  for (const stage of stages) {
    await growTo(stage);
    const check = await surveyMetrics(db, { survey: survey.key, from: FROM, to: TODAY, interval: 'week' });
    log(`timing at ${stage.toLocaleString('en')} responses (median of ${RUNS}); ${survey.key} holds ${check.overall.n.toLocaleString('en')} of them …`);
    const rollupFloor = bareSelect('SELECT day, score, count FROM response_daily WHERE survey_id = ? AND day >= ? AND day <= ?', [survey.id, FROM, TODAY]);
    const responsesFloor = bareSelect('SELECT answered_at, score FROM responses WHERE survey_id = ? AND answered_at >= ? AND answered_at < ?', [
      survey.id,
      `${FROM}T00:00:00.000Z`,
      NOW.toISOString(),
    ]);
    const add = async (measure: string, fn: () => Promise<unknown>, floorName: string, floorFn: () => Promise<unknown>) => {
      const { ms, floorMs } = await timeBeside(fn, floorFn);
      rows.push({ responses: stage, measure, ms, floor: floorName, floor_ms: floorMs, ratio: ms / floorMs });
    };
    const bareHttp = 'bare Express route, same HTTP path';
    await add('trend query, 2 years by week (rollup)', () => surveyMetrics(db, { survey: survey.key, from: FROM, to: TODAY, interval: 'week' }), 'bare SELECT of the rollup rows', rollupFloor);
    await add(
      'trend query, 2 years by week, other zone (responses)',
      () => surveyMetrics(db, { survey: survey.key, from: FROM, to: TODAY, interval: 'week', tz: 'Europe/Berlin' }),
      'bare SELECT of the responses',
      responsesFloor,
    );
    const metricsUrl = `${base}/api/v1/metrics?${new URLSearchParams({ survey: survey.key, from: FROM, to: TODAY, interval: 'week' })}`;
    await add('GET /api/v1/metrics, 2 years by week', () => get(metricsUrl, auth), bareHttp, httpFloor);
    await add('GET /api/v1/metrics, … and segment=region', () => get(`${metricsUrl}&segment=region`, auth), bareHttp, httpFloor);
    await add(`GET /dashboard (overview, ${SURVEYS} cards, 90 days)`, () => get(`${base}/dashboard`, { cookie }), bareHttp, httpFloor);
    await add('GET /dashboard/:survey (90 days, segment, search)', () => get(`${base}/dashboard/${survey.key}?${q90}&segment=region&q=long`, { cookie }), bareHttp, httpFloor);
  }

  const width = Math.max(...rows.map((r) => r.measure.length));
  const table = [
    `${'responses'.padStart(10)}  ${'measure'.padEnd(width)}  ${'median ms'.padStart(10)}  ${'floor ms'.padStart(9)}  ${'× floor'.padStart(8)}  floor`,
    ...rows.map(
      (r) =>
        `${r.responses.toLocaleString('en').padStart(10)}  ${r.measure.padEnd(width)}  ${r.ms.toFixed(2).padStart(10)}  ${r.floor_ms.toFixed(3).padStart(9)}  ${r.ratio.toFixed(1).padStart(8)}  ${r.floor}`,
    ),
  ];
  console.log(table.join('\n'));
  console.log(
    JSON.stringify({
      bench: 'dashboards',
      responses: TARGET,
      customers: CUSTOMERS,
      surveys: SURVEYS,
      runs: RUNS,
      node: process.version,
      cpus: os.cpus().length,
      seconds: Math.round((Date.now() - started) / 1000),
      results: rows.map((r) => ({ ...r, ms: Number(r.ms.toFixed(3)), floor_ms: Number(r.floor_ms.toFixed(4)), ratio: Number(r.ratio.toFixed(2)) })),
    }),
  );

  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => floor.server.close(resolve));
  await deps.mail.close();
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
