import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTestContext } from '../helpers/context.ts';
import { toCount } from '../../server/db/dialect.ts';
import type { ProcessResult } from '../helpers/event-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const helper = path.join(root, 'test/helpers/event-process.ts');

/** A child process running test/helpers/event-process.ts on the test's database. */
class EventProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (results: ProcessResult[]) => void>();
  private readonly stderr: string[] = [];
  readonly ready: Promise<void>;

  constructor(databaseUrl: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', helper], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, SESSION_SECRET: 'test-secret-test-secret-test-secret-0123', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (chunk) => this.stderr.push(String(chunk)));
    const lines = readline.createInterface({ input: this.child.stdout });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`event process exited with ${code}: ${this.stderr.join('')}`)));
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { ready?: true; id?: number; results?: ProcessResult[] };
        if (message.ready) resolve();
        else if (message.id !== undefined) this.waiting.get(message.id)?.(message.results!);
      });
    });
  }

  /** Sends a batch to decide all at once; resolves with one result per event. */
  fire(id: number, now: string, events: unknown[]): Promise<ProcessResult[]> {
    const done = new Promise<ProcessResult[]>((resolve) => this.waiting.set(id, resolve));
    this.child.stdin.write(JSON.stringify({ id, now, events }) + '\n');
    return done;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

/**
 * DESIGN.md: "Two events for one customer arriving at the same moment must not
 * both pass a cap: decisions for one customer are serialised." Two separate
 * processes, each with its own pool, decide 10 events each for one customer at
 * once, on five surveys of five touchpoints, under the global 30-day cooldown:
 * exactly one invitation, 19 suppressions naming cooldown_global, no error.
 */
describe('concurrency: one customer, many events, two processes', function () {
  this.timeout(120_000);
  let processes: EventProcess[] = [];
  // Registered before the context, so it runs before the context closes.
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });
  const ctx = withTestContext();
  const touchpoints = ['burst-a', 'burst-b', 'burst-c', 'burst-d', 'burst-e'];
  let round = 0;

  const count = async (table: string, where: Record<string, unknown>) => toCount((await ctx.deps.db(table).where(where).count({ n: '*' }).first())?.n);

  before(async () => {
    for (const t of touchpoints) {
      await ctx.api.post('/api/v1/surveys').send({ key: `${t}-nps`, touchpoint: t, metric: 'nps', status: 'active' }).expect(201);
    }
    // A touchpoint without an active survey: an event there makes a customer known without inviting them.
    await ctx.api.post('/api/v1/surveys').send({ key: 'known-nps', touchpoint: 'known', metric: 'nps', status: 'draft' }).expect(201);
    processes = [new EventProcess(ctx.deps.config.databaseUrl), new EventProcess(ctx.deps.config.databaseUrl)];
    await Promise.all(processes.map((p) => p.ready));
  });

  /** 20 events for `who` on the five touchpoints. */
  const eventsFor = (who: string, tag: string) =>
    Array.from({ length: 20 }, (_, i) => ({
      touchpoint: touchpoints[i % touchpoints.length],
      transaction_id: `${tag}-${i}`,
      customer: { id: who, email: `${who}@example.com` },
    }));

  /** Fires the events, the first half by one process and the second by the other, at the same moment. */
  async function fire(events: unknown[], order: [EventProcess, EventProcess] = [processes[0], processes[1]]) {
    const id = ++round;
    const now = ctx.clock.now().toISOString();
    const halves = await Promise.all([order[0].fire(id, now, events.slice(0, 10)), order[1].fire(id, now, events.slice(10))]);
    return halves.flat();
  }
  const burst = (who: string) => fire(eventsFor(who, `burst-${who}`));

  async function expectOneInvitation(who: string, results: ProcessResult[]) {
    const failed = results.filter((r) => !r.ok);
    expect(failed, 'no event may fail (SQLITE_BUSY, deadlock …)').to.deep.equal([]);
    const answers = results.map((r) => (r as Extract<ProcessResult, { ok: true }>).answer);
    const scheduled = answers.filter((a) => a.status === 'scheduled');
    expect(scheduled, 'exactly one event schedules an invitation').to.have.length(1);
    expect(answers.filter((a) => a.status === 'suppressed').map((a) => a.reason)).to.deep.equal(Array(19).fill('cooldown_global'));
    const customer = await ctx.deps.db('customers').where({ external_id: who }).first();
    expect(await count('invitations', { customer_id: customer.id }), 'invitations stored for the customer').to.equal(1);
    expect(await count('events', { customer_id: customer.id })).to.equal(who.startsWith('known') ? 21 : 20);
    expect(await count('customers', { external_id: who })).to.equal(1);
  }

  it('a brand-new customer gets exactly one invitation from 20 simultaneous events', async () => {
    for (let i = 0; i < 3; i++) {
      const who = `new-${i}`;
      await expectOneInvitation(who, await burst(who));
    }
  });

  it('a known customer never invited before gets exactly one invitation from 20 simultaneous events', async () => {
    // The customer row exists, so nothing but the customer lock stands between the
    // 20 decisions: without lockCustomer (PostgreSQL) this schedules several.
    for (let i = 0; i < 5; i++) {
      const who = `known-${i}`;
      await ctx.api.post('/api/v1/events').send({ touchpoint: 'known', transaction_id: `known-${i}`, customer: { id: who, email: `${who}@example.com` } }).expect(202);
      await expectOneInvitation(who, await burst(who));
    }
  });

  it('the same 20 events again are repeats answered with the first decision, from either process', async () => {
    const who = 'repeat-0';
    const first = await burst(who);
    await expectOneInvitation(who, first);
    const again = await fire(eventsFor(who, `burst-${who}`), [processes[1], processes[0]]);
    const answer = (r: ProcessResult) => (r as Extract<ProcessResult, { ok: true }>).answer;
    expect(again.every((r) => r.ok && r.repeated)).to.equal(true);
    expect(again.map(answer)).to.deep.equal(first.map(answer));
    const customer = await ctx.deps.db('customers').where({ external_id: who }).first();
    expect(await count('events', { customer_id: customer.id })).to.equal(20);
  });
});

/**
 * When another process holds SQLite's write lock past busy_timeout, the event
 * is not lost silently: the API answers a retryable 503 (nothing recorded), and
 * the same event sent again is recorded once.
 */
/** better-sqlite3 itself (it ships no types): a second connection that holds the write lock. */
async function sqliteDriver(): Promise<new (file: string) => { prepare(sql: string): { run(): unknown }; close(): void }> {
  const name = 'better-sqlite3';
  return (await import(name)).default;
}

describe('concurrency: a busy SQLite database answers 503 and loses nothing', function () {
  this.timeout(60_000);
  // Skipped before the context is made: the hooks after a skip do not run.
  before(function () {
    if (process.env.TEST_DATABASE_URL) this.skip();
  });
  const ctx = withTestContext();

  before(async () => {
    await ctx.api.post('/api/v1/surveys').send({ key: 'busy-nps', touchpoint: 'busy', metric: 'nps', status: 'active' }).expect(201);
    // The pool has one connection: wait 20 ms for a lock instead of 10 s.
    await ctx.deps.db.raw('PRAGMA busy_timeout = 20');
  });

  it('answers 503 with Retry-After while another process writes, then records the repeat once', async () => {
    const Database = await sqliteDriver();
    const other = new Database(ctx.deps.config.databaseUrl);
    const body = { touchpoint: 'busy', transaction_id: 'busy-1', customer: { email: 'busy@example.com' } };
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const res = await ctx.api.post('/api/v1/events', body).expect(503);
      expect(res.headers['retry-after']).to.equal('1');
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(res.body.title).to.match(/not recorded/);
      other.prepare('ROLLBACK').run();
    } finally {
      other.close();
    }
    expect(toCount((await ctx.deps.db('events').where({ transaction_id: 'busy-1' }).count({ n: '*' }).first())?.n)).to.equal(0);
    const again = await ctx.api.post('/api/v1/events', body).expect(202);
    expect(again.body.status).to.equal('scheduled');
    await ctx.api.post('/api/v1/events', body).expect(200);
    expect(toCount((await ctx.deps.db('events').where({ transaction_id: 'busy-1' }).count({ n: '*' }).first())?.n)).to.equal(1);
  });

  it('retries while the lock is held briefly and records the event', async () => {
    const Database = await sqliteDriver();
    const other = new Database(ctx.deps.config.databaseUrl);
    other.prepare('BEGIN IMMEDIATE').run();
    // Released after the first busy answer, before the retries run out.
    setTimeout(() => {
      other.prepare('ROLLBACK').run();
      other.close();
    }, 30);
    const res = await ctx.api.post('/api/v1/events', { touchpoint: 'busy', transaction_id: 'busy-2', customer: { email: 'busy2@example.com' } });
    expect(res.status).to.equal(202);
  });
});
