// npm run bench: what DESIGN.md "Performance" lists, each beside this machine's floor, as one table and
// one JSON line (progress goes to stderr). Not a test: it asserts nothing about speed.
//
// On a temporary SQLite file: 100,000 customers and up to 1,000,000 responses over 20 surveys, with the
// dashboard timings at 10k, 100k and 1M responses (dashboards.ts); then, on that data set, emails handed
// to a local SMTP receiver per second (emails.ts), responses stored per second (answers.ts), events
// accepted per second through the API (ingest.ts) and decisions per second (decisions.ts). With
// BENCH_DATABASE_URL=postgres://… the ingest and decision parts run again on a fresh PostgreSQL database.
//
// Sizes (BENCH_* shrink it): BENCH_RESPONSES (1,000,000), BENCH_CUSTOMERS (100,000), BENCH_RUNS (7, timings
// per figure), BENCH_HISTORY (20,000 customers with past invitations), BENCH_EVENTS (3,000 single POSTs),
// BENCH_BATCHES (3 batches of 1,000), BENCH_DECISIONS (3,000), BENCH_ANSWERS (2,100), BENCH_EMAILS (900), BENCH_WEBHOOKS (900),
// BENCH_CLIENTS (50 connections posting answers at once; single events are posted over 10 and over 50), BENCH_ROUNDS (3 turns each of measure and floor).
// BENCH_PARTS=dashboards,emails,webhooks,answers,ingest,decisions runs only the parts named (BENCH_PARTS=dashboards: the
// dashboard timings alone); BENCH_PROFILE=1 also lists, per dashboard
// request, its SQL statements with their time and SQLite's query plan (on stderr).
// Every request goes to 127.0.0.1.
import os from 'node:os';
import { closeClients, envCount, formatTable, jsonRow, log, type Row } from './common.ts';
import { SURVEYS, insertCustomers, openBench } from './setup.ts';
import { benchDashboards, loadSqliteCustomers } from './dashboards.ts';
import { seedHistory } from './seed.ts';
import { benchEmails } from './emails.ts';
import { benchWebhooks } from './webhooks.ts';
import { benchAnswers } from './answers.ts';
import { benchIngest } from './ingest.ts';
import { benchDecisions } from './decisions.ts';

const TARGET = envCount('BENCH_RESPONSES', 1_000_000);
const RUNS = Math.max(3, envCount('BENCH_RUNS', 7));
const CUSTOMERS = envCount('BENCH_CUSTOMERS', 100_000);
const HISTORY = Math.min(CUSTOMERS, envCount('BENCH_HISTORY', 20_000));
const ROUNDS = envCount('BENCH_ROUNDS', 3);
const CLIENTS = envCount('BENCH_CLIENTS', 50);
const sizes = {
  events: envCount('BENCH_EVENTS', 3_000),
  batches: Math.max(ROUNDS, envCount('BENCH_BATCHES', 3)),
  decisions: envCount('BENCH_DECISIONS', 3_000),
  answers: envCount('BENCH_ANSWERS', 2_100),
  emails: envCount('BENCH_EMAILS', 900),
  webhooks: envCount('BENCH_WEBHOOKS', 900),
};
const PG_URL = process.env.BENCH_DATABASE_URL || undefined;
/** BENCH_PARTS=dashboards,emails,webhooks,answers,ingest,decisions: only these parts (default: all). */
const PARTS = new Set((process.env.BENCH_PARTS || 'dashboards,emails,webhooks,answers,ingest,decisions').split(',').map((p) => p.trim()));
const wanted = (name: string) => PARTS.has(name);

/** Runs one part and says on stderr how long it took. */
async function part<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await fn();
  log(`  (${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return result;
}

async function main() {
  const started = Date.now();
  const rows: Row[] = [];

  const bench = await openBench();
  try {
    await loadSqliteCustomers(bench, CUSTOMERS);
    if (wanted('dashboards')) rows.push(...(await part('dashboards', () => benchDashboards(bench, { target: TARGET, runs: RUNS }))));
    if (['emails', 'answers', 'ingest', 'decisions'].some(wanted)) {
      log(`giving ${HISTORY.toLocaleString('en')} customers a history …`);
      await part('history', () => seedHistory(bench, HISTORY));
    }
    if (wanted('emails')) rows.push(...(await part('emails', () => benchEmails(bench, { emails: sizes.emails, rounds: ROUNDS }))));
    if (wanted('webhooks')) rows.push(...(await part('webhooks', () => benchWebhooks(bench, { messages: sizes.webhooks, rounds: ROUNDS }))));
    if (wanted('answers')) rows.push(...(await part('answers', () => benchAnswers(bench, { answers: sizes.answers, clients: CLIENTS, rounds: ROUNDS }))));
    if (wanted('ingest')) rows.push(...(await part('ingest', () => benchIngest(bench, { events: sizes.events, batches: sizes.batches, rounds: ROUNDS, historyCustomers: HISTORY }))));
    if (wanted('decisions')) rows.push(...(await part('decisions', () => benchDecisions(bench, { decisions: sizes.decisions, rounds: ROUNDS, historyCustomers: HISTORY }))));
  } finally {
    await bench.close();
  }

  if (PG_URL && (wanted('ingest') || wanted('decisions'))) {
    log('PostgreSQL: a fresh database …');
    const pg = await openBench(PG_URL);
    try {
      await insertCustomers(pg, HISTORY);
      await seedHistory(pg, HISTORY);
      if (wanted('ingest')) rows.push(...(await benchIngest(pg, { events: sizes.events, batches: sizes.batches, rounds: ROUNDS, historyCustomers: HISTORY })));
      if (wanted('decisions')) rows.push(...(await benchDecisions(pg, { decisions: sizes.decisions, rounds: ROUNDS, historyCustomers: HISTORY })));
    } finally {
      await pg.close();
    }
  }

  finish(rows, started);
}

function finish(rows: Row[], started: number) {
  closeClients();
  console.log(formatTable(rows));
  console.log(
    JSON.stringify({
      bench: 'touchpoint',
      responses: TARGET,
      customers: CUSTOMERS,
      surveys: SURVEYS,
      runs: RUNS,
      rounds: ROUNDS,
      clients: CLIENTS,
      history_customers: HISTORY,
      ...sizes,
      postgres: Boolean(PG_URL),
      node: process.version,
      cpus: os.cpus().length,
      seconds: Math.round((Date.now() - started) / 1000),
      results: rows.map(jsonRow),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
