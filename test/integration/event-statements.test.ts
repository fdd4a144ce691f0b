import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import type { Db } from '../../server/db/knex.ts';

/** The statements `db` runs while `fn` runs (knex's own and the prepared ones of the hot paths), but the read of the cache versions. */
async function statementsDuring(db: Db, fn: () => Promise<unknown>): Promise<{ sql: string; method?: string }[]> {
  const seen: { sql: string; method?: string }[] = [];
  const listener = (q: { sql: string; method?: string }) => seen.push({ sql: q.sql, method: q.method });
  db.on('query', listener);
  try {
    await fn();
  } finally {
    db.removeListener('query', listener);
  }
  // The versions are read at most once a second, whatever the request (cache-versions.test.ts).
  return seen.filter((s) => !/cache_versions/.test(s.sql));
}

const list = (statements: { sql: string }[]) => statements.map((s) => s.sql.replace(/\s+/g, ' ').slice(0, 100)).join('\n');

/**
 * The event path's round trips (issue 13): one event takes the connection once, for one transaction of
 * prepared statements, and costs a fixed small number of them; a repeat writes nothing; a batch shares
 * its transaction among its events.
 */
describe('the event path: one transaction of prepared statements, a counted number of round trips', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let seq = 0;
  const event = (customer = `c-${++seq}`) => ({
    touchpoint: 'delivery',
    transaction_id: `order-${++seq}`,
    customer: { id: customer, email: `${customer}@example.com` },
    properties: { region: 'north', plan: 'team' },
  });

  before(async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
    // The first event fills the process's caches (key, touchpoint, survey, settings).
    await ctx.api.post('/api/v1/events').send(event()).expect(202);
  });

  it('a scheduled event of a new customer: one transaction, ten statements, all prepared', async () => {
    const body = event();
    let status = '';
    const statements = await statementsDuring(ctx.deps.db, async () => {
      status = (await ctx.api.post('/api/v1/events').send(body).expect(202)).body.status;
    });
    expect(status).to.equal('scheduled');
    const sql = statements.map((s) => s.sql.trim().split(/\s+/).slice(0, 3).join(' ').toUpperCase());
    expect(sql.filter((s) => s.startsWith('BEGIN')), list(statements)).to.have.length(1);
    expect(sql.filter((s) => s === 'COMMIT'), list(statements)).to.have.length(1);
    expect(statements.filter((s) => s.method !== 'prepared'), list(statements)).to.deep.equal([]);
    // BEGIN, the repeat look, the customer upsert, the decision's reads, the event, its rollup and its property values, the invitation and its link on the event, COMMIT.
    expect(statements, list(statements)).to.have.length(10);
  });

  it("a known customer's facts are written only when they change (an unchanged email's index entry is not rewritten)", async () => {
    const customer = `known-${++seq}`;
    await ctx.api.post('/api/v1/events').send(event(customer)).expect(202);
    const writesTo = (statements: { sql: string }[]) => statements.filter((s) => /^\s*UPDATE customers/i.test(s.sql));
    // The same facts again: the upsert touches updated_at, and no statement sets a fact.
    const same = await statementsDuring(ctx.deps.db, () => ctx.api.post('/api/v1/events').send(event(customer)).expect(202));
    expect(same.filter((s) => /\b(email|name|locale|time_zone)\s*=/i.test(s.sql)), list(same)).to.deep.equal([]);
    const before = await ctx.deps.db('customers').where({ external_id: customer }).first();
    // A new name and language: one statement writes them, and the email given as it was stays.
    const body = { ...event(customer), customer: { id: customer, email: `${customer}@example.com`, name: 'Ada Lovelace', locale: 'de' } };
    const changed = await statementsDuring(ctx.deps.db, () => ctx.api.post('/api/v1/events').send(body).expect(202));
    expect(writesTo(changed), list(changed)).to.have.length(1);
    const after = await ctx.deps.db('customers').where({ external_id: customer }).first();
    expect({ name: after.name, locale: after.locale, email: after.email, time_zone: after.time_zone }).to.deep.equal({ name: 'Ada Lovelace', locale: 'de', email: before.email, time_zone: before.time_zone });
    expect(after.updated_at >= before.updated_at).to.equal(true);
  });

  it('a repeat writes nothing: the look for it, inside its transaction, answers it', async () => {
    const body = event();
    const first = await ctx.api.post('/api/v1/events').send(body).expect(202);
    const statements = await statementsDuring(ctx.deps.db, async () => {
      const again = await ctx.api.post('/api/v1/events').send({ ...body, customer: { ...body.customer, name: 'A new name' } }).expect(200);
      expect(again.body.id).to.equal(first.body.id);
    });
    expect(statements.filter((s) => /^\s*(INSERT|UPDATE|DELETE)/i.test(s.sql)), list(statements)).to.deep.equal([]);
    expect(statements.length, list(statements)).to.be.at.most(3);
    const customer = await ctx.deps.db('customers').where({ external_id: body.customer.id }).first();
    expect(customer.name).to.equal(null);
  });

  it('a batch of 200 events shares one transaction of a fixed handful of statements, however many events', async () => {
    const events = Array.from({ length: 200 }, () => event());
    let results: { status: string }[] = [];
    const statements = await statementsDuring(ctx.deps.db, async () => {
      results = (await ctx.api.post('/api/v1/events/batch').send({ events }).expect(200)).body.results;
    });
    expect(results.filter((r) => r.status === 'scheduled')).to.have.length(200);
    expect(statements.filter((s) => /^\s*BEGIN/i.test(s.sql)), list(statements.slice(0, 20))).to.have.length(1);
    expect(statements.length / events.length).to.be.below(8);
    // BEGIN, repeats, customers, their histories, events, rollup, invitations, their links, COMMIT: not one per event.
    expect(statements.length, list(statements)).to.be.at.most(12);
  });

  it('events that arrive while others are being stored are committed together, each decided as alone', async () => {
    // 40 events at once: four customers, ten each (the first of each is scheduled, the rest wait out the cooldown).
    const events = Array.from({ length: 40 }, (_, i) => event(`together-${i % 4}`));
    let answers: { status: number; body: { status: string; reason?: string } }[] = [];
    const statements = await statementsDuring(ctx.deps.db, async () => {
      answers = await Promise.all(events.map((body) => ctx.api.post('/api/v1/events').send(body)));
    });
    expect(answers.map((a) => a.status)).to.deep.equal(events.map(() => 202));
    expect(answers.filter((a) => a.body.status === 'scheduled')).to.have.length(4);
    const transactions = statements.filter((s) => /^\s*BEGIN/i.test(s.sql)).length;
    expect(transactions).to.be.below(40);
  });

  it("a customer's later event in a batch gives a language: the earlier event's invitation keeps the language the customer had", async () => {
    const id = `lang-${++seq}`;
    const events = [
      { touchpoint: 'delivery', transaction_id: `order-${++seq}`, customer: { id, email: `${id}@example.com` } },
      { touchpoint: 'delivery', transaction_id: `order-${++seq}`, customer: { id, email: `${id}@example.com`, locale: 'de' } },
    ];
    const alone = { ...events[1], transaction_id: `order-${++seq}`, customer: { id: `${id}-alone`, email: `${id}-alone@example.com`, locale: 'de' } };
    const res = await ctx.api.post('/api/v1/events/batch').send({ events: [...events, alone] }).expect(200);
    const [first, , third] = res.body.results as { status: string; invitation_id?: number }[];
    expect(first.status).to.equal('scheduled');
    expect(third.status).to.equal('scheduled');
    const locale = async (invitationId: number) => (await ctx.deps.db('invitations').where({ id: invitationId }).first('locale')).locale;
    // The first event saw a customer with no language (the survey's default); a customer who gave German has a German invitation.
    expect(await locale(first.invitation_id!)).to.equal('en');
    expect(await locale(third.invitation_id!)).to.equal('de');
    expect((await ctx.deps.db('customers').where({ external_id: id }).first('locale')).locale).to.equal('de');
  });
});
