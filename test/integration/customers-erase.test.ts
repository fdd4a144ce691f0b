import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { DAY, HOUR } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';
import { insertResponse } from '../../server/responses/store.ts';

describe('customers API: export and erase', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  const metrics = async () =>
    (await ctx.api.get('/api/v1/metrics').query({ survey: 'delivery-nps', from: '2026-11-01', to: '2026-12-31', segment: 'region' }).expect(200)).body;

  /** A response to the customer's invitation, as the answer page would store it. */
  async function answer(externalId: string, score: number, comment: string, properties: Record<string, string>) {
    const customer = await ctx.deps.db('customers').where({ external_id: externalId }).first();
    const invitation = await ctx.deps.db('invitations').where({ customer_id: customer.id }).first();
    await ctx.deps.db('invitations').where({ id: invitation.id }).update({ state: 'responded', sent_at: invitation.send_at, responded_at: toDbTime(ctx.clock.now()) });
    await ctx.deps.db.transaction((trx) =>
      insertResponse(trx, { survey_id: invitation.survey_id, invitation_id: invitation.id, customer_id: customer.id, score, comment, channel: 'email', answered_at: ctx.clock.now(), properties }, 'UTC'),
    );
    return { customer, invitation };
  }

  before(async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
    await ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'delivery', transaction_id: 'order-1', customer: { id: 'ann-1', email: 'Ann.Lee@example.com', name: 'Ann Lee', locale: 'de' }, properties: { region: 'north', street: 'Elm Street 5' } })
      .expect(202);
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'order-2', customer: { email: 'Zoe@Example.com', name: 'Zoe Roe' }, properties: { region: 'south' } }).expect(202);
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'order-3', customer: { id: 'cy-3', email: 'cy@example.com' }, properties: { region: 'north' } }).expect(202);
    ctx.clock.advance(HOUR);
    await answer('ann-1', 2, 'The driver, Mr Smith, threw my parcel', { region: 'north' });
    await answer('zoe@example.com', 9, 'Zoe says thanks', { region: 'south' });
    await answer('cy-3', 10, 'Fine', { region: 'north' });
    const ann = await ctx.deps.db('customers').where({ external_id: 'ann-1' }).first();
    const touchpoint = await ctx.deps.db('touchpoints').where({ key: 'delivery' }).first();
    await ctx.deps.db('touchpoint_unsubscribes').insert({ customer_id: ann.id, touchpoint_id: touchpoint.id, created_at: toDbTime(ctx.clock.now()) });
    ctx.clock.advance(HOUR);
  });

  it('exports everything stored about a customer as JSON', async () => {
    const res = await ctx.api.get('/api/v1/customers/ann-1/export').expect(200);
    const body = res.body;
    expect(body.customer).to.include({ id: 'ann-1', email: 'Ann.Lee@example.com', name: 'Ann Lee', locale: 'de', erased_at: null });
    expect(body.events).to.have.length(1);
    expect(body.events[0]).to.include({ touchpoint: 'delivery', transaction_id: 'order-1', decision: 'scheduled', survey: 'delivery-nps' });
    expect(body.events[0].properties).to.deep.equal({ region: 'north', street: 'Elm Street 5' });
    expect(body.invitations).to.have.length(1);
    expect(body.invitations[0]).to.include({ state: 'responded', survey: 'delivery-nps' });
    expect(body.invitations[0]).not.to.have.any.keys('token_salt', 'token_hash');
    expect(body.responses).to.have.length(1);
    expect(body.responses[0]).to.include({ score: 2, comment: 'The driver, Mr Smith, threw my parcel', metric: 'nps' });
    expect(body.responses[0].properties).to.deep.equal({ region: 'north' });
    expect(body.unsubscribes).to.deep.equal([{ scope: 'touchpoint', touchpoint: 'delivery', at: '2026-11-23T11:00:00.000Z' }]);
    expect(body.actions).to.deep.equal([]);
    // Nobody else's data.
    expect(JSON.stringify(body)).not.to.include('Zoe').and.not.to.include('cy@example.com');
  });

  it('erases the personal data, keeps the scores (metrics unchanged) and suppresses later events as erased', async () => {
    const before = await metrics();
    expect(before.overall.n).to.equal(3);
    // Her answer's property values (what filters on several properties match) go with her properties.
    const herValues = () =>
      ctx.deps.db('response_values').whereIn('response_id', ctx.deps.db('responses').whereIn('customer_id', ctx.deps.db('customers').where({ external_id: 'ann-1' }).select('id')).select('id'));
    expect(await herValues()).to.have.length.above(0);
    const res = await ctx.api.post('/api/v1/customers/ann-1/erase').expect(200);
    expect(await herValues()).to.deep.equal([]);
    expect(res.body.already_erased).to.equal(false);
    expect(res.body.customer).to.include({ id: 'ann-1', email: null, name: null, locale: null, erased_at: '2026-11-23T12:00:00.000Z' });

    const timeline = await ctx.api.get('/api/v1/customers/ann-1/timeline').expect(200);
    const text = JSON.stringify(timeline.body);
    for (const gone of ['Ann.Lee@example.com', 'ann.lee', 'Ann Lee', 'Mr Smith', 'Elm Street']) expect(text).not.to.include(gone);
    const response = timeline.body.timeline.find((e: { kind: string }) => e.kind === 'response');
    expect(response).to.include({ score: 2, comment: null });
    expect(timeline.body.timeline.at(-1).kind).to.equal('erased');
    expect(timeline.body.timeline.at(-1).by).to.match(/^API key /);

    // Scores and aggregates stay: the overall metric is the same.
    const after = await metrics();
    expect(after.overall).to.deep.equal(before.overall);
    expect(after.series).to.deep.equal(before.series);
    // Her answer no longer counts under her region: it moved to "(none)", and the segments still add up.
    const none = (m: { segments: Record<string, { n: number }> }) => m.segments['(none)']?.n ?? 0;
    expect(none(after)).to.equal(none(before) + 1);
    const total = (m: { segments: Record<string, { n: number }> }) => Object.values(m.segments).reduce((sum, s) => sum + s.n, 0);
    expect(total(after)).to.equal(after.overall.n);

    // A later event for the erased customer is recorded as suppressed `erased`, keeping none of its data.
    ctx.clock.advance(DAY);
    const later = await ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'delivery', transaction_id: 'order-9', customer: { id: 'ann-1', email: 'ann.lee@example.com', name: 'Ann Lee' }, properties: { street: 'Elm Street 5' } })
      .expect(202);
    expect(later.body).to.include({ status: 'suppressed', reason: 'erased' });
    const stored = await ctx.deps.db('customers').where({ external_id: 'ann-1' }).first();
    expect(stored).to.include({ email: null, name: null, properties: '{}' });
    const event = await ctx.deps.db('events').where({ id: later.body.id }).first();
    expect(event.properties).to.equal('{}');
    const exported = JSON.stringify((await ctx.api.get('/api/v1/customers/ann-1/export').expect(200)).body);
    for (const gone of ['Ann.Lee@example.com', 'ann.lee', 'Ann Lee', 'Mr Smith', 'Elm Street']) expect(exported).not.to.include(gone);

    // Erasing again changes nothing.
    const again = await ctx.api.post('/api/v1/customers/ann-1/erase').expect(200);
    expect(again.body.already_erased).to.equal(true);
    expect(again.body.customer.erased_at).to.equal('2026-11-23T12:00:00.000Z');
  });

  it('replaces an id that is an email address, and an event for that address is still suppressed', async () => {
    const res = await ctx.api.post('/api/v1/customers/zoe%40example.com/erase').expect(200);
    expect(res.body.customer.id).to.match(/^erased-[0-9a-f]{40}$/);
    expect(JSON.stringify(await ctx.deps.db('customers').where({ erased_at: res.body.customer.erased_at }).select())).not.to.include('zoe');
    // The address still finds the erased record (so it can be checked), but holds nothing of it.
    const found = await ctx.api.get('/api/v1/customers/zoe%40example.com').expect(200);
    expect(found.body).to.include({ id: res.body.customer.id, email: null, name: null });
    const later = await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'order-10', customer: { email: 'zoe@example.com', name: 'Zoe Roe' } }).expect(202);
    expect(later.body).to.include({ status: 'suppressed', reason: 'erased' });
    expect(await ctx.deps.db('customers').whereRaw('lower(external_id) like ?', ['%zoe%']).select()).to.deep.equal([]);
    const exported = JSON.stringify((await ctx.api.get('/api/v1/customers/zoe%40example.com/export').expect(200)).body);
    expect(exported.toLowerCase()).not.to.include('zoe');
    // Still counted: 9 was a promoter's score.
    const responses = await ctx.deps.db('responses').where({ score: 9 }).select();
    expect(responses).to.have.length(1);
    expect(responses[0].comment).to.equal(null);
  });

  it('leaves other customers alone', async () => {
    const cy = (await ctx.api.get('/api/v1/customers/cy-3/export').expect(200)).body;
    expect(cy.customer).to.include({ email: 'cy@example.com', erased_at: null });
    expect(cy.responses[0].comment).to.equal('Fine');
    expect(cy.events[0].properties).to.deep.equal({ region: 'north' });
  });

  it('answers 404 for an unknown customer and 401 without a key', async () => {
    for (const res of [await ctx.api.get('/api/v1/customers/nobody/export'), await ctx.api.post('/api/v1/customers/nobody/erase')]) {
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    }
    await supertest(ctx.app).post('/api/v1/customers/cy-3/erase').expect(401);
    await supertest(ctx.app).get('/api/v1/customers/cy-3/export').expect(401);
    expect((await ctx.api.get('/api/v1/customers/cy-3').expect(200)).body.erased_at).to.equal(null);
  });
});
