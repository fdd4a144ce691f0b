import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { DAY } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';
import { sampleBucket } from '../../server/eligibility/rules.ts';
import { recheckBeforeSend } from '../../server/eligibility/recheck.ts';
import { toCount } from '../../server/db/dialect.ts';

describe('events API: decisions through HTTP', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let seq = 0;
  const tx = () => `tx-${++seq}`;
  const email = () => `customer-${++seq}@example.com`;

  const event = (over: Record<string, unknown> = {}) => ({
    touchpoint: 'delivery',
    transaction_id: tx(),
    customer: { email: email() },
    ...over,
  });
  const count = async (table: string, where: Record<string, unknown> = {}) =>
    toCount((await ctx.deps.db(table).where(where).count({ n: '*' }).first())?.n);

  async function survey(key: string, touchpoint: string, extra: Record<string, unknown> = {}) {
    await ctx.api.post('/api/v1/surveys').send({ key, touchpoint, metric: 'nps', status: 'active', ...extra }).expect(201);
  }

  before(async () => {
    await survey('delivery-nps', 'delivery');
    await survey('support-csat', 'support', { metric: 'csat', send_delay_minutes: 60 });
    await survey('sampled-nps', 'sampled', { sample_rate: 50 });
    await ctx.api.post('/api/v1/surveys').send({ key: 'quiet-nps', touchpoint: 'quiet', metric: 'nps', status: 'draft' }).expect(201);
  });
  beforeEach(() => ctx.clock.set('2026-11-23T10:00:00Z'));

  it('schedules an invitation at occurred_at + delay and answers 202', async () => {
    const res = await ctx.api
      .post('/api/v1/events')
      .send(event({ touchpoint: 'support', customer: { id: 'cust-1', email: 'Ann@Example.com', name: 'Ann', locale: 'de-AT', time_zone: 'Europe/Berlin' }, properties: { region: 'north', value: 12.5, vip: true } }))
      .expect(202);
    expect(res.body).to.include({ status: 'scheduled', send_at: '2026-11-23T11:00:00.000Z' });
    expect(res.body.id).to.be.a('number');
    expect(res.body.invitation_id).to.be.a('number');
    const invitation = await ctx.deps.db('invitations').where({ id: res.body.invitation_id }).first();
    expect(invitation).to.include({ state: 'scheduled', send_at: '2026-11-23T11:00:00.000Z', locale: 'de' });
    expect(invitation.token_hash).to.match(/^[0-9a-f]{64}$/);
    const customer = await ctx.deps.db('customers').where({ external_id: 'cust-1' }).first();
    expect(customer).to.include({ email: 'Ann@Example.com', name: 'Ann', locale: 'de-AT', time_zone: 'Europe/Berlin' });
    const stored = await ctx.deps.db('events').where({ id: res.body.id }).first();
    expect(JSON.parse(stored.properties)).to.deep.equal({ region: 'north', value: 12.5, vip: true });
  });

  it('moves the send time into the quiet-hours window of the customer\'s zone', async () => {
    ctx.clock.set('2026-11-23T21:30:00Z'); // 22:30 in Berlin
    const res = await ctx.api.post('/api/v1/events').send(event({ customer: { email: email(), time_zone: 'Europe/Berlin' } })).expect(202);
    expect(res.body.status).to.equal('scheduled');
    expect(res.body.send_at).to.equal('2026-11-24T08:00:00.000Z'); // 09:00 in Berlin
    expect(res.body.detail).to.match(/quiet hours 09:00–20:00 Europe\/Berlin/);
  });

  it('falls back to the reporting zone for an unknown time zone and says so', async () => {
    ctx.clock.set('2026-11-23T06:00:00Z');
    const res = await ctx.api.post('/api/v1/events').send(event({ customer: { email: email(), time_zone: 'Mars/Olympus_Mons' } })).expect(202);
    expect(res.body.send_at).to.equal('2026-11-23T09:00:00.000Z');
    expect(res.body.detail).to.match(/Mars\/Olympus_Mons" is unknown; used UTC/);
  });

  it('answers a repeat with 200 and the first answer, creating nothing', async () => {
    const body = event();
    const first = await ctx.api.post('/api/v1/events').send(body).expect(202);
    ctx.clock.advance(DAY);
    const events = await count('events');
    const invitations = await count('invitations');
    const again = await ctx.api.post('/api/v1/events').send(body).expect(200);
    expect(again.body).to.deep.equal(first.body);
    expect(await count('events')).to.equal(events);
    expect(await count('invitations')).to.equal(invitations);
  });

  it('answers the same for concurrent repeats of one event', async () => {
    const body = event();
    const answers = await Promise.all(Array.from({ length: 5 }, () => ctx.api.post('/api/v1/events').send(body)));
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 200, 200, 200, 202]);
    for (const a of answers) expect(a.body).to.deep.equal(answers[0].body);
    expect(await count('events', { transaction_id: body.transaction_id })).to.equal(1);
  });

  it('suppresses with no_active_survey when the touchpoint has only a draft', async () => {
    const res = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'quiet' })).expect(202);
    expect(res.body).to.include({ status: 'suppressed', reason: 'no_active_survey' });
    expect(res.body).not.to.have.property('invitation_id');
    const stored = await ctx.deps.db('events').where({ id: res.body.id }).first();
    expect(stored).to.include({ decision: 'suppressed', reason: 'no_active_survey' });
  });

  it('suppresses with invalid_contact when the email is not an address', async () => {
    const res = await ctx.api.post('/api/v1/events').send(event({ customer: { id: 'no-mail', email: 'not-an-address' } })).expect(202);
    expect(res.body).to.include({ status: 'suppressed', reason: 'invalid_contact' });
    const idOnly = await ctx.api.post('/api/v1/events').send(event({ customer: { id: 'id-only' } })).expect(202);
    expect(idOnly.body).to.include({ status: 'suppressed', reason: 'invalid_contact' });
  });

  it('suppresses unsubscribed customers, from everything or from this touchpoint', async () => {
    const all = email();
    await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'quiet', customer: { email: all } })).expect(202);
    await ctx.deps.db('customers').where({ external_id: all }).update({ unsubscribed_at: '2026-11-01T00:00:00.000Z' });
    const res = await ctx.api.post('/api/v1/events').send(event({ customer: { email: all } })).expect(202);
    expect(res.body).to.include({ status: 'suppressed', reason: 'unsubscribed' });
    expect(res.body.detail).to.match(/2026-11-01/);

    const one = email();
    await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'quiet', customer: { email: one } })).expect(202);
    const customer = await ctx.deps.db('customers').where({ external_id: one }).first();
    const touchpoint = await ctx.deps.db('touchpoints').where({ key: 'delivery' }).first();
    await ctx.deps.db('touchpoint_unsubscribes').insert({ customer_id: customer.id, touchpoint_id: touchpoint.id, created_at: toDbTime(ctx.clock.now()) });
    const blocked = await ctx.api.post('/api/v1/events').send(event({ customer: { email: one } })).expect(202);
    expect(blocked.body).to.include({ status: 'suppressed', reason: 'unsubscribed' });
    const elsewhere = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { email: one } })).expect(202);
    expect(elsewhere.body.status).to.equal('scheduled');
  });

  it('suppresses bounced and erased customers', async () => {
    const bounced = email();
    await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'quiet', customer: { email: bounced } })).expect(202);
    await ctx.deps.db('customers').where({ external_id: bounced }).update({ bounced_at: '2026-11-02T00:00:00.000Z' });
    expect((await ctx.api.post('/api/v1/events').send(event({ customer: { email: bounced } })).expect(202)).body.reason).to.equal('bounced');
    await ctx.deps.db('customers').where({ external_id: bounced }).update({ erased_at: '2026-11-03T00:00:00.000Z', email: null });
    expect((await ctx.api.post('/api/v1/events').send(event({ customer: { email: bounced } })).expect(202)).body.reason).to.equal('erased');
  });

  it('keeps the global cooldown for 30 days and lets the next one through at exactly 30 days', async () => {
    const who = email();
    const first = await ctx.api.post('/api/v1/events').send(event({ customer: { email: who } })).expect(202);
    expect(first.body).to.include({ status: 'scheduled', send_at: '2026-11-23T10:00:00.000Z' });

    ctx.clock.set(new Date(Date.parse('2026-11-23T10:00:00Z') + 21 * DAY));
    const blocked = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { email: who } })).expect(202);
    expect(blocked.body).to.include({ status: 'suppressed', reason: 'cooldown_global' });
    expect(blocked.body.detail).to.equal('cooldown_global: last invitation 2026-11-23, 21 days ago; rule: 30 days');

    ctx.clock.set(new Date(Date.parse('2026-11-23T10:00:00Z') + 30 * DAY - 1));
    const justBefore = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { email: who } })).expect(202);
    expect(justBefore.body.reason).to.equal('cooldown_global');

    ctx.clock.set(new Date(Date.parse('2026-11-23T10:00:00Z') + 30 * DAY));
    const atBoundary = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { email: who } })).expect(202);
    expect(atBoundary.body.status).to.equal('scheduled');
  });

  it('suppresses with cooldown_survey within the survey\'s own cooldown', async () => {
    const who = email();
    await ctx.api.post('/api/v1/events').send(event({ customer: { email: who } })).expect(202);
    ctx.clock.advance(45 * DAY);
    const res = await ctx.api.post('/api/v1/events').send(event({ customer: { email: who } })).expect(202);
    expect(res.body).to.include({ status: 'suppressed', reason: 'cooldown_survey' });
    expect(res.body.detail).to.match(/rule: 90 days/);
  });

  it('samples by survey and transaction id, the same on a replay', async () => {
    let outId = '';
    for (let i = 0; !outId; i++) if (sampleBucket('sampled-nps', `sample-${i}`) >= 50) outId = `sample-${i}`;
    let inId = '';
    for (let i = 0; !inId; i++) if (sampleBucket('sampled-nps', `sample-${i}`) < 50) inId = `sample-${i}`;
    const out = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'sampled', transaction_id: outId })).expect(202);
    expect(out.body).to.include({ status: 'suppressed', reason: 'sampled_out' });
    const replay = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'sampled', transaction_id: outId })).expect(200);
    expect(replay.body).to.deep.equal(out.body);
    const kept = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'sampled', transaction_id: inId })).expect(202);
    expect(kept.body.status).to.equal('scheduled');
  });

  it('refuses unknown touchpoints and customers without id and email, naming the field', async () => {
    const unknown = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'nowhere' })).expect(422);
    expect(unknown.type).to.equal('application/problem+json');
    expect(unknown.body.errors[0].field).to.equal('touchpoint');
    const anonymous = await ctx.api.post('/api/v1/events').send(event({ customer: { name: 'Nobody' } })).expect(422);
    expect(anonymous.body.errors.map((e: { field: string }) => e.field)).to.include('customer.email');
  });

  it('handles a batch with a bad item in the middle, one result per event in order', async () => {
    const good1 = event();
    const good2 = event({ touchpoint: 'quiet' });
    const res = await ctx.api.post('/api/v1/events/batch').send({ events: [good1, { touchpoint: 'delivery', customer: { email: email() } }, good2, event({ touchpoint: 'nope' })] }).expect(200);
    const results = res.body.results;
    expect(results).to.have.length(4);
    expect(results[0]).to.include({ index: 0, status: 'scheduled' });
    expect(results[1]).to.deep.include({ index: 1, status: 'invalid' });
    expect(results[1].errors[0].field).to.equal('transaction_id');
    expect(results[2]).to.include({ index: 2, status: 'suppressed', reason: 'no_active_survey' });
    expect(results[3]).to.include({ index: 3, status: 'invalid' });
    expect(results[3].errors[0].field).to.equal('touchpoint');
    const again = await ctx.api.post('/api/v1/events/batch').send({ events: [good1] }).expect(200);
    expect(again.body.results[0]).to.include({ index: 0, duplicate: true, id: results[0].id });
  });

  it('refuses NUL in the touchpoint and a "__proto__" property by name, alone and in a batch (never dropped, never 500)', async () => {
    const nul = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'deli\u0000very' })).expect(422);
    expect(nul.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['touchpoint']);
    const proto = JSON.stringify(event({ properties: { PROTO: 'x', region: 'north' } })).replace('"PROTO"', '"__proto__"');
    const refused = await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send(proto).expect(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['properties.__proto__']);
    const batch = `{"events": [${JSON.stringify(event({ touchpoint: 'deli\u0000very' }))}, ${proto}]}`;
    const res = await ctx.api.post('/api/v1/events/batch').set('Content-Type', 'application/json').send(batch).expect(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).to.deep.equal(['invalid', 'invalid']);
    expect(res.body.results[0].errors[0].field).to.equal('touchpoint');
    expect(res.body.results[1].errors[0].field).to.equal('properties.__proto__');
  });

  it('refuses a batch of more than 1,000 events', async () => {
    const res = await ctx.api.post('/api/v1/events/batch').send({ events: Array.from({ length: 1001 }, () => ({})) }).expect(422);
    expect(res.body.errors[0].field).to.equal('events');
  });

  it('never answers 500 to malformed, mistyped, oversized or odd input', async () => {
    const bad = await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send('{"touchpoint": "delivery",').expect(400);
    expect(bad.type).to.equal('application/problem+json');
    await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send('"just a string"').expect(400);
    const cases: [unknown, string][] = [
      [[1, 2], '(body)'],
      [{ touchpoint: 5, transaction_id: 'x', customer: { email: 'a@b.co' } }, 'touchpoint'],
      [{ touchpoint: 'delivery', transaction_id: { nested: true }, customer: { email: 'a@b.co' } }, 'transaction_id'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: 'a@b.co' }, 'customer'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co' }, occurred_at: 'yesterday' }, 'occurred_at'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co' }, occurred_at: '1970-01-01T00:00:00Z' }, 'occurred_at'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co' }, properties: { nested: { a: 1 } } }, 'properties.nested'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co' }, properties: ['a'] }, 'properties'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co' }, properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, i])) }, 'properties'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co' }, properties: { long: 'x'.repeat(501) } }, 'properties.long'],
      [{ touchpoint: 'delivery', transaction_id: 'x'.repeat(201), customer: { email: 'a@b.co' } }, 'transaction_id'],
      [{ touchpoint: 'delivery', transaction_id: 'tx\u0000nul', customer: { email: 'a@b.co' } }, 'transaction_id'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: 'a@b.co', locale: 'english please' } }, 'customer.locale'],
      [{ touchpoint: 'delivery', transaction_id: 'x', customer: { email: `${'a'.repeat(250)}@b.co` } }, 'customer.email'],
    ];
    for (const [body, field] of cases) {
      const res = await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
      expect(res.status, JSON.stringify(body).slice(0, 80)).to.equal(422);
      expect(res.body.errors.map((e: { field: string }) => e.field), JSON.stringify(body).slice(0, 80)).to.include(field);
    }
    // A lone surrogate, escaped in JSON: storable it is not, so it is refused by name.
    const lone = await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send('{"touchpoint":"delivery","transaction_id":"tx-\\ud800","customer":{"email":"lone@example.com"}}');
    expect(lone.status).to.equal(422);
    expect(lone.body.errors[0].field).to.equal('transaction_id');
    // Lone surrogates in free text are made storable.
    const name = await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send(`{"touchpoint":"delivery","transaction_id":"${tx()}","customer":{"email":"${email()}","name":"Zo\\udc00e\\u0000"}}`);
    expect(name.status).to.equal(202);
    const big = await ctx.api.post('/api/v1/events').set('Content-Type', 'application/json').send(JSON.stringify({ ...event(), properties: { pad: 'x'.repeat(3_000_000) } }));
    expect(big.status).to.equal(413);
    const noBody = await ctx.api.post('/api/v1/events').set('Content-Type', 'text/plain').send('hello');
    expect(noBody.status).to.equal(422);
  });

  it('takes emoji, RTL marks and other scripts in transaction ids and finds them again', async () => {
    for (const id of ['🎉-order-👩‍👩‍👧', '\u200fطلب-٤٢\u200f', 'Zürich ß 注文 #7', 'a'.repeat(200)]) {
      const body = event({ transaction_id: id, customer: { email: email(), name: '\u202eevil\u202c 😀' } });
      const first = await ctx.api.post('/api/v1/events').send(body).expect(202);
      const again = await ctx.api.post('/api/v1/events').send(body).expect(200);
      expect(again.body).to.deep.equal(first.body);
      const stored = await ctx.deps.db('events').where({ id: first.body.id }).first();
      expect(stored.transaction_id).to.equal(id);
    }
  });

  it('schedules exactly one invitation for 20 simultaneous events of one new customer', async () => {
    const touchpoints = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    for (const t of touchpoints) await survey(`${t}-nps`, t);
    const who = email();
    const answers = await Promise.all(touchpoints.map((t) => ctx.api.post('/api/v1/events').send(event({ touchpoint: t, customer: { email: who } }))));
    expect(answers.map((a) => a.status)).to.deep.equal(touchpoints.map(() => 202));
    const scheduled = answers.filter((a) => a.body.status === 'scheduled');
    expect(scheduled).to.have.length(1);
    expect(new Set(answers.filter((a) => a.body.status === 'suppressed').map((a) => a.body.reason))).to.deep.equal(new Set(['cooldown_global']));
    const customer = await ctx.deps.db('customers').where({ external_id: who }).first();
    expect(await count('invitations', { customer_id: customer.id })).to.equal(1);
    expect(await count('customers', { external_id: who })).to.equal(1);
  });

  describe('maximum event age (too_old)', () => {
    const daysAgo = (n: number) => new Date(ctx.clock.now().getTime() - n * DAY).toISOString();

    it('suppresses an event 30 days old with too_old on a survey with the default age (7 days), and schedules one 3 days old', async () => {
      const oldEvent = event({ occurred_at: daysAgo(30) });
      const old = await ctx.api.post('/api/v1/events').send(oldEvent).expect(202);
      expect(old.body).to.include({ status: 'suppressed', reason: 'too_old' });
      expect(old.body.detail).to.equal('too_old: the event occurred 30 days ago (2026-10-24); this survey asks about events up to 7 days old');
      expect(old.body).not.to.have.property('invitation_id');
      expect(await ctx.deps.db('events').where({ id: old.body.id }).first()).to.include({ decision: 'suppressed', reason: 'too_old' });
      expect(await count('invitations', { event_id: old.body.id })).to.equal(0);

      const recent = await ctx.api.post('/api/v1/events').send(event({ occurred_at: daysAgo(3) })).expect(202);
      expect(recent.body).to.include({ status: 'scheduled', send_at: '2026-11-23T10:00:00.000Z' });
      expect(recent.body.invitation_id).to.be.a('number');
      // A repeat of the old event answers the same, and still creates nothing.
      const again = await ctx.api.post('/api/v1/events').send(oldEvent).expect(200);
      expect(again.body).to.deep.equal(old.body);
    });

    it('surveys events of any age when the survey sets max_event_age_days to null, and follows a survey\'s own limit', async () => {
      await survey('history-nps', 'history', { max_event_age_days: null });
      const years = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'history', occurred_at: daysAgo(800) })).expect(202);
      expect(years.body).to.include({ status: 'scheduled' });
      expect(years.body.invitation_id).to.be.a('number');

      await ctx.api.patch('/api/v1/surveys/history-nps').send({ max_event_age_days: 60 }).expect(200);
      expect((await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'history', occurred_at: daysAgo(59) })).expect(202)).body.status).to.equal('scheduled');
      const over = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'history', occurred_at: daysAgo(61) })).expect(202);
      expect(over.body).to.include({ status: 'suppressed', reason: 'too_old' });
      expect(over.body.detail).to.match(/occurred 61 days ago .*up to 60 days old$/);
    });

    it('takes no_active_survey before too_old, and batches decide each event\'s age alike', async () => {
      const draft = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'quiet', occurred_at: daysAgo(30) })).expect(202);
      expect(draft.body).to.include({ status: 'suppressed', reason: 'no_active_survey' });
      const batch = await ctx.api.post('/api/v1/events/batch').send({ events: [event({ occurred_at: daysAgo(8) }), event({ occurred_at: daysAgo(6) })] }).expect(200);
      const results = batch.body.results;
      expect(results.map((r: { status: string; reason?: string }) => r.reason ?? r.status)).to.deep.equal(['too_old', 'scheduled']);
    });

    it('does not check the age again at send time: an invitation due later is still sent', async () => {
      const res = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', occurred_at: daysAgo(6) })).expect(202);
      expect(res.body.status).to.equal('scheduled');
      ctx.clock.advance(5 * DAY); // the event is now 11 days old, past the survey's 7
      const ok = await ctx.deps.db.transaction((trx) => recheckBeforeSend(trx, res.body.invitation_id, ctx.clock.now()));
      expect(ok).to.deep.equal({ ok: true });
    });
  });

  it('rechecks before sending: a paused survey or an unsubscribe stops the invitation', async () => {
    const who = email();
    const res = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { email: who } })).expect(202);
    const ok = await ctx.deps.db.transaction((trx) => recheckBeforeSend(trx, res.body.invitation_id, ctx.clock.now()));
    expect(ok).to.deep.equal({ ok: true });
    await ctx.deps.db('customers').where({ external_id: who }).update({ unsubscribed_at: toDbTime(ctx.clock.now()) });
    const stopped = await ctx.deps.db.transaction((trx) => recheckBeforeSend(trx, res.body.invitation_id, ctx.clock.now()));
    expect(stopped).to.include({ ok: false, reason: 'unsubscribed' });
    await ctx.deps.db('customers').where({ external_id: who }).update({ unsubscribed_at: null });
    await ctx.api.post('/api/v1/surveys').send({ key: 'recheck-nps', touchpoint: 'recheck', metric: 'nps', status: 'active' }).expect(201);
    const other = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'recheck', customer: { email: email() } })).expect(202);
    await ctx.api.patch('/api/v1/surveys/recheck-nps').send({ status: 'paused' }).expect(200);
    const paused = await ctx.deps.db.transaction((trx) => recheckBeforeSend(trx, other.body.invitation_id, ctx.clock.now()));
    expect(paused).to.deep.equal({ ok: false, reason: 'no_active_survey', detail: 'no_active_survey: the survey recheck-nps is paused' });
  });

  it('rechecks cooldowns against invitations that were really sent', async () => {
    const who = email();
    const first = await ctx.api.post('/api/v1/events').send(event({ customer: { email: who } })).expect(202);
    // A second invitation that slipped in (e.g. scheduled under looser rules), then the first goes out.
    ctx.clock.advance(40 * DAY);
    const second = await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { email: who } })).expect(202);
    expect(second.body.status).to.equal('scheduled');
    await ctx.deps.db('invitations').where({ id: first.body.invitation_id }).update({ state: 'sent', sent_at: toDbTime(new Date(ctx.clock.now().getTime() - 2 * DAY)) });
    const result = await ctx.deps.db.transaction((trx) => recheckBeforeSend(trx, second.body.invitation_id, ctx.clock.now()));
    expect(result).to.include({ ok: false, reason: 'cooldown_global' });
  });

  it('shows a customer\'s timeline with decisions, invitations and unsubscribes in time order', async () => {
    const who = 'timeline-customer';
    await ctx.api.post('/api/v1/events').send(event({ customer: { id: who, email: 'tl@example.com' } })).expect(202);
    ctx.clock.advance(DAY);
    await ctx.api.post('/api/v1/events').send(event({ touchpoint: 'support', customer: { id: who, email: 'tl@example.com' } })).expect(202);
    ctx.clock.advance(DAY);
    await ctx.deps.db('customers').where({ external_id: who }).update({ unsubscribed_at: toDbTime(ctx.clock.now()) });
    const res = await ctx.api.get(`/api/v1/customers/${encodeURIComponent(who)}/timeline`).expect(200);
    expect(res.body.customer).to.include({ id: who, email: 'tl@example.com' });
    expect(res.body.timeline.map((e: { kind: string }) => e.kind)).to.deep.equal(['event', 'invitation', 'event', 'unsubscribe']);
    expect(res.body.timeline[2]).to.include({ decision: 'suppressed', reason: 'cooldown_global' });
    const ats = res.body.timeline.map((e: { at: string }) => e.at);
    expect([...ats].sort()).to.deep.equal(ats);
    await ctx.api.get('/api/v1/customers/nobody-here/timeline').expect(404);
    const record = await ctx.api.get(`/api/v1/customers/${who}`).expect(200);
    expect(record.body).to.include({ id: who, email: 'tl@example.com' });
    expect(record.body.unsubscribed_at).to.be.a('string');
  });
});
