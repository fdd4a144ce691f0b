// Dashboard timings on the synthetic SQLite data set: 100,000 customers and up to 1,000,000 responses
// over 20 surveys, timed at 10k, 100k and 1M responses (the trend query, GET /api/v1/metrics and the
// dashboard pages). Floors: a bare Express route through the same HTTP path, a bare better-sqlite3 SELECT.
import express from 'express';
import type { Knex } from 'knex';
import { scales } from '../../server/surveys/model.ts';
import { surveyMetrics } from '../../server/metrics/service.ts';
import { NOW, bareHttpFloor, get, listen, log, randomSource, timeBeside, timeRow, type Row } from './common.ts';
import { HISTORY_DAYS, PASSWORD, SURVEYS, type Bench } from './setup.ts';
import { addDays } from '../../server/dates.ts';

const TODAY = NOW.toISOString().slice(0, 10);
const FROM = addDays(TODAY, -(HISTORY_DAYS - 1));

/** The part of a better-sqlite3 connection this benchmark uses (knex hands out the real one). */
interface Statement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
export interface SqliteConnection {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}

/** Runs `fn` on the better-sqlite3 connection that knex holds. */
export async function withConnection<T>(bench: Bench, fn: (c: SqliteConnection) => T): Promise<T> {
  const conn = (await bench.db.client.acquireConnection()) as SqliteConnection;
  try {
    return fn(conn);
  } finally {
    bench.db.client.releaseConnection(conn);
  }
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

/** Loads customers c-1 … c-count straight through better-sqlite3, in one transaction. */
export async function loadSqliteCustomers(bench: Bench, count: number): Promise<void> {
  const rnd = randomSource(1123);
  const regions = ['north', 'south', 'east', 'west'];
  const at = new Date(NOW.getTime() - (HISTORY_DAYS + 1) * 86_400_000).toISOString();
  log(`loading ${count.toLocaleString('en')} customers …`);
  await withConnection(bench, (c) => {
    const insert = c.prepare('INSERT INTO customers (external_id, email, name, locale, properties, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    c.transaction(() => {
      for (let i = 1; i <= count; i++) insert.run(`c-${i}`, `customer.${i}@example.com`, `Customer ${i}`, i % 3 ? 'en' : 'de', `{"region":"${regions[Math.floor(rnd() * 4)]}"}`, at, at);
    })();
  });
  bench.customers = count;
}

const metricsUrlOf = (base: string, key: string) => `${base}/api/v1/metrics?${new URLSearchParams({ survey: key, from: FROM, to: TODAY, interval: 'week' })}`;

/** BENCH_PROFILE=1: each request's SQL statements, slowest first, with their time and SQLite's plan. */
async function profile(bench: Bench, requests: [string, string, Record<string, string>][]): Promise<void> {
  const started = new Map<string, { sql: string; bindings: unknown[]; t0: number }>();
  let seen: { sql: string; bindings: unknown[]; ms: number }[] = [];
  const onQuery = (q: { __knexQueryUid: string; sql: string; bindings: unknown[] }) => started.set(q.__knexQueryUid, { sql: q.sql, bindings: q.bindings ?? [], t0: performance.now() });
  const onResponse = (_r: unknown, q: { __knexQueryUid: string }) => {
    const s = started.get(q.__knexQueryUid);
    if (s) seen.push({ sql: s.sql, bindings: s.bindings, ms: performance.now() - s.t0 });
  };
  bench.db.on('query', onQuery).on('query-response', onResponse);
  for (const [name, url, headers] of requests) {
    await get(url, headers);
    seen = [];
    const t0 = performance.now();
    await get(url, headers);
    const total = performance.now() - t0;
    const bySql = new Map<string, { n: number; ms: number; bindings: unknown[] }>();
    for (const q of seen) {
      const e = bySql.get(q.sql) ?? bySql.set(q.sql, { n: 0, ms: 0, bindings: q.bindings }).get(q.sql)!;
      e.n++;
      e.ms += q.ms;
    }
    log(`PROFILE ${name}: ${total.toFixed(0)} ms, ${seen.length} queries`);
    for (const [sql, e] of [...bySql].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6)) {
      log(`  ${e.ms.toFixed(1)} ms ×${e.n}  ${sql.slice(0, 220)}`);
      const plan = await bench.db.raw(`EXPLAIN QUERY PLAN ${sql}`, e.bindings as readonly Knex.RawBinding[]);
      for (const p of plan as { detail: string }[]) log(`      plan: ${p.detail}`);
    }
  }
  bench.db.off('query', onQuery).off('query-response', onResponse);
}

/** Returns growTo(total): adds synthetic responses up to `total` and recounts the rollups from them. */
function responseLoader(bench: Bench): (total: number) => Promise<void> {
  const { surveys } = bench;
  const rnd = randomSource(20261123);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const regions = ['north', 'south', 'east', 'west'];
  const plans = ['starter', 'team', 'enterprise'];
  const agents = ['Alex', 'Birgit', 'Chen', 'Dana', 'Emre', 'Fatima', 'Georg'];
  const comments = ['Quick and friendly.', 'Took far too long.', 'Fine, nothing special.', 'Parcel arrived damaged.', 'Great help, thanks!'];
  const startMs = Date.parse(`${FROM}T00:00:00Z`);
  const spanMs = NOW.getTime() - startMs;
  let inserted = 0;
  async function growTo(total: number) {
    const t0 = Date.now();
    await withConnection(bench, (c) => {
      // A large page cache while loading (random keys in the answered_at index), the application's again for the timings.
      const cacheSize = (c.prepare('PRAGMA cache_size').all()[0] as { cache_size: number }).cache_size;
      c.exec('PRAGMA cache_size = -262144');
      // Each response answers an invitation (with its event) sent a day before; every other response has a
      // second invitation beside it that was sent and never answered, so response rates and funnels read
      // as many invitations and events as a real installation of this size would hold.
      const insertEvent = c.prepare(
        "INSERT INTO events (touchpoint_id, transaction_id, customer_id, occurred_at, received_at, properties, source, survey_id, decision, send_at) VALUES (?, ?, ?, ?, ?, ?, 'api', ?, 'scheduled', ?)",
      );
      const insertInvitation = c.prepare(
        "INSERT INTO invitations (survey_id, event_id, customer_id, locale, state, send_at, token_salt, token_hash, sent_at, responded_at, created_at, updated_at) VALUES (?, ?, ?, 'en', ?, ?, 'bench', ?, ?, ?, ?, ?)",
      );
      const insert = c.prepare(
        'INSERT INTO responses (survey_id, invitation_id, customer_id, score, comment, channel, locale, answered_at, updated_at, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const invite = (survey: Bench['surveys'][number], customer: number, sentAt: string, properties: string, n: number, answeredAt: string | null): number => {
        const event = insertEvent.run(survey.touchpoint_id, `bench-${n}`, customer, sentAt, sentAt, properties, survey.id, sentAt) as { lastInsertRowid: number | bigint };
        const invitation = insertInvitation.run(
          survey.id,
          Number(event.lastInsertRowid),
          customer,
          answeredAt ? 'responded' : 'sent',
          sentAt,
          `bench-token-${n}`,
          sentAt,
          answeredAt,
          sentAt,
          answeredAt ?? sentAt,
        ) as { lastInsertRowid: number | bigint };
        return Number(invitation.lastInsertRowid);
      };
      const batch = c.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const survey = surveys[Math.floor(rnd() * SURVEYS)];
          const { min, max } = scales[survey.metric];
          // Skewed towards the top of the scale, as real answers are.
          const score = Math.max(min, Math.min(max, Math.round(max - (max - min) * rnd() ** 1.6)));
          const answeredMs = startMs + Math.floor(rnd() * spanMs);
          const answered = new Date(answeredMs).toISOString();
          const sent = new Date(answeredMs - 86_400_000).toISOString();
          const customer = 1 + Math.floor(rnd() * bench.customers);
          const properties = `{"region":"${pick(regions)}","plan":"${pick(plans)}","agent":"${pick(agents)}"}`;
          const invitationId = invite(survey, customer, sent, properties, 2 * i, answered);
          if (i % 2 === 0) invite(survey, 1 + Math.floor(rnd() * bench.customers), sent, properties, 2 * i + 1, null);
          insert.run(survey.id, invitationId, customer, score, rnd() < 0.15 ? pick(comments) : null, 'email', 'en', answered, answered, properties);
        }
      });
      for (let from = inserted; from < total; from += 50_000) batch(from, Math.min(total, from + 50_000));
      // Both rollups, computed in bulk as insertResponse would count them: the reporting time zone is UTC, so
      // the local day is the ISO date; every property value here is a string (segmentPairs keeps it as it is).
      c.exec(
        'DELETE FROM response_daily; INSERT INTO response_daily (survey_id, day, score, count) SELECT survey_id, substr(answered_at, 1, 10), score, count(*) FROM responses GROUP BY survey_id, substr(answered_at, 1, 10), score;',
      );
      // The quarter-hour rollups (trends in other zones), as insertResponse and the worker count them.
      c.exec(
        "DELETE FROM response_quarter_hours; INSERT INTO response_quarter_hours (survey_id, quarter, score, count) SELECT survey_id, CAST(strftime('%s', substr(answered_at, 1, 19)) AS INTEGER) / 900, score, count(*) FROM responses GROUP BY 1, 2, 3;",
      );
      c.exec(
        "DELETE FROM invitation_quarter_hours; INSERT INTO invitation_quarter_hours (survey_id, quarter, sent, responded) SELECT survey_id, CAST(strftime('%s', substr(sent_at, 1, 19)) AS INTEGER) / 900, count(*), count(responded_at) FROM invitations WHERE sent_at IS NOT NULL GROUP BY 1, 2;",
      );
      // Each response's property values (filters on several properties), as insertResponse writes them.
      c.exec(
        "DELETE FROM response_values; INSERT INTO response_values (survey_id, name, value, quarter, response_id, score) SELECT r.survey_id, p.key, p.value, CAST(strftime('%s', substr(r.answered_at, 1, 19)) AS INTEGER) / 900, r.id, r.score FROM responses r, json_each(r.properties) p WHERE p.type = 'text';",
      );
      c.exec(
        "DELETE FROM invitation_values; INSERT INTO invitation_values (survey_id, name, value, quarter, invitation_id, responded) SELECT i.survey_id, p.key, p.value, CAST(strftime('%s', substr(i.sent_at, 1, 19)) AS INTEGER) / 900, i.id, i.responded_at IS NOT NULL FROM invitations i JOIN events e ON e.id = i.event_id, json_each(e.properties) p WHERE i.sent_at IS NOT NULL AND p.type = 'text';",
      );
      c.exec(
        "DELETE FROM event_values; INSERT INTO event_values (touchpoint_id, name, value, quarter, event_id) SELECT e.touchpoint_id, p.key, p.value, CAST(strftime('%s', substr(e.received_at, 1, 19)) AS INTEGER) / 900, e.id FROM events e, json_each(e.properties) p WHERE p.type = 'text';",
      );
      c.exec(
        "DELETE FROM response_segment_daily; INSERT INTO response_segment_daily (survey_id, name, day, value, score, count) SELECT r.survey_id, p.key, substr(r.answered_at, 1, 10), p.value, r.score, count(*) FROM responses r, json_each(r.properties) p WHERE p.type = 'text' GROUP BY 1, 2, 3, 4, 5; ANALYZE;",
      );
      // The send rollups, as the worker and insertResponse count them (reporting zone UTC: the day is the ISO date).
      c.exec(
        'DELETE FROM invitation_daily; INSERT INTO invitation_daily (survey_id, day, sent, responded) SELECT i.survey_id, substr(i.sent_at, 1, 10), count(*), count(r.id) FROM invitations i LEFT JOIN responses r ON r.invitation_id = i.id WHERE i.sent_at IS NOT NULL GROUP BY 1, 2;',
      );
      c.exec(
        "DELETE FROM invitation_segment_daily; INSERT INTO invitation_segment_daily (survey_id, name, day, value, sent, responded) SELECT i.survey_id, p.key, substr(i.sent_at, 1, 10), p.value, count(*), count(r.id) FROM invitations i JOIN events e ON e.id = i.event_id LEFT JOIN responses r ON r.invitation_id = i.id, json_each(e.properties) p WHERE i.sent_at IS NOT NULL AND p.type = 'text' GROUP BY 1, 2, 3, 4;",
      );
      c.exec(
        "DELETE FROM event_segment_daily; INSERT INTO event_segment_daily (touchpoint_id, name, day, value, count) SELECT e.touchpoint_id, p.key, substr(e.received_at, 1, 10), p.value, count(*) FROM events e, json_each(e.properties) p WHERE p.type = 'text' GROUP BY 1, 2, 3, 4; ANALYZE;",
      );
      c.exec(`PRAGMA cache_size = ${Number(cacheSize)}`);
    });
    inserted = total;
    log(`  ${total.toLocaleString('en')} responses (with ${Math.ceil(total * 1.5).toLocaleString('en')} invitations and events) and their rollups in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return growTo;
}

/** Grows the responses to each stage in turn and times the dashboards there. */
export async function benchDashboards(bench: Bench, options: { target: number; runs: number }): Promise<Row[]> {
  const { db, surveys, base, apiKey } = bench;
  const stages = [10_000, 100_000, 1_000_000].filter((n) => n < options.target).concat(options.target);
  const growTo = responseLoader(bench);

  const floorApp = express();
  floorApp.disable('x-powered-by');
  floorApp.get('/floor', (_req, res) => res.json({ ok: true }));
  const floor = await listen(floorApp);
  const cookie = await signIn(base, 'viewer@example.com', PASSWORD);
  const auth = { Authorization: `Bearer ${apiKey}` };
  const bareSelect = (sql: string, params: unknown[]) => () => withConnection(bench, (c) => c.prepare(sql).all(...params));
  const httpFloor = () => get(`${floor.base}/floor`);

  const rows: Row[] = [];
  const survey = surveys[0];
  const q90 = new URLSearchParams({ from: addDays(TODAY, -89), to: TODAY });
  for (const stage of stages) {
    await growTo(stage);
    const check = await surveyMetrics(db, { survey: survey.key, from: FROM, to: TODAY, interval: 'week' });
    log(`timing at ${stage.toLocaleString('en')} responses (median of ${options.runs}); ${survey.key} holds ${check.overall.n.toLocaleString('en')} of them …`);
    const rollupFloor = bareSelect('SELECT day, score, count FROM response_daily WHERE survey_id = ? AND day >= ? AND day <= ?', [survey.id, FROM, TODAY]);
    const quarterFloor = bareSelect('SELECT quarter, score, count FROM response_quarter_hours WHERE survey_id = ? AND quarter >= ? AND quarter < ?', [
      survey.id,
      Date.parse(`${FROM}T00:00:00.000Z`) / 900_000,
      Math.ceil(NOW.getTime() / 900_000),
    ]);
    const add = async (measure: string, fn: () => Promise<unknown>, floorName: string, floorFn: () => Promise<unknown>) => {
      rows.push(timeRow('sqlite', stage, measure, floorName, await timeBeside(options.runs, fn, floorFn)));
    };
    const metricsUrl = metricsUrlOf(base, survey.key);
    await add('trend query, 2 years by week (rollup)', () => surveyMetrics(db, { survey: survey.key, from: FROM, to: TODAY, interval: 'week' }), 'bare SELECT of the rollup rows', rollupFloor);
    await add(
      'trend query, 2 years by week, other zone (quarter-hours)',
      () => surveyMetrics(db, { survey: survey.key, from: FROM, to: TODAY, interval: 'week', tz: 'Europe/Berlin' }),
      'bare SELECT of the quarter-hour rows',
      quarterFloor,
    );
    await add(
      'GET /api/v1/metrics, 2 years by week, tz=Asia/Kolkata',
      () => get(`${metricsUrl}&tz=Asia%2FKolkata`, auth),
      bareHttpFloor,
      httpFloor,
    );
    await add('GET /api/v1/metrics, 2 years by week', () => get(metricsUrl, auth), bareHttpFloor, httpFloor);
    await add('GET /api/v1/metrics, … and segment=region', () => get(`${metricsUrl}&segment=region`, auth), bareHttpFloor, httpFloor);
    await add('GET /api/v1/metrics, … and where=region:north', () => get(`${metricsUrl}&where=region:north`, auth), bareHttpFloor, httpFloor);
    await add(
      'GET /api/v1/metrics, … where region, plan and agent, tz=America/New_York',
      () => get(`${metricsUrl}&where=region:north&where=plan:team&where=agent:Chen&where=agent:Dana&tz=America%2FNew_York`, auth),
      bareHttpFloor,
      httpFloor,
    );
    await add(`GET /dashboard (overview, ${SURVEYS} cards, 90 days)`, () => get(`${base}/dashboard`, { cookie }), bareHttpFloor, httpFloor);
    await add('GET /dashboard?where=region:north (one property: rollup)', () => get(`${base}/dashboard?where=region:north`, { cookie }), bareHttpFloor, httpFloor);
    await add('GET /dashboard/:survey (90 days, segment, search)', () => get(`${base}/dashboard/${survey.key}?${q90}&segment=region&q=long`, { cookie }), bareHttpFloor, httpFloor);
    await add(
      'GET /dashboard/:survey, where region and plan (property values)',
      () => get(`${base}/dashboard/${survey.key}?${q90}&segment=agent&where=region:north&where=plan:team`, { cookie }),
      bareHttpFloor,
      httpFloor,
    );
  }
  if (process.env.BENCH_PROFILE) await profile(bench, [
    ['metrics', metricsUrlOf(base, survey.key), auth],
    ['metrics segment', `${metricsUrlOf(base, survey.key)}&segment=region`, auth],
    ['metrics other zone', `${metricsUrlOf(base, survey.key)}&tz=Europe%2FBerlin`, auth],
    ['overview', `${base}/dashboard`, { cookie }],
    ['survey page', `${base}/dashboard/${survey.key}?${q90}&segment=region&q=long`, { cookie }],
    ['overview where', `${base}/dashboard?where=region:north`, { cookie }],
    ['survey page where ×2', `${base}/dashboard/${survey.key}?${q90}&segment=agent&where=region:north&where=plan:team`, { cookie }],
  ]);
  await floor.close();
  return rows;
}
