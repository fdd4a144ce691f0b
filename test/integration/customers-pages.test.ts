import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { DAY, HOUR } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { insertResponse } from '../../server/responses/store.ts';

describe('customer pages: find a customer, read why they got no survey', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let editor: supertest.Agent;
  const text = (html: string) => html.replace(/<wbr>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

  before(async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    ({ agent: editor } = await ctx.signIn('editor'));
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
    await ctx.api.post('/api/v1/surveys').send({ key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active' }).expect(201);
    // Ann: invited on delivery, then a support event 3 days later falls into the global cooldown.
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'order-1', customer: { id: 'ann-1', email: 'ann@example.com', name: 'Ann' }, properties: { region: 'north' } }).expect(202);
    ctx.clock.advance(3 * DAY);
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'ticket-9', customer: { id: 'ann-1', email: 'ann@example.com' } }).expect(202);
    ctx.clock.advance(HOUR);
    // Bob unsubscribed, then an event.
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'ticket-10', customer: { id: 'bob-2', email: 'Bob@Example.com' } }).expect(202);
    await ctx.deps.db('customers').where({ external_id: 'bob-2' }).update({ unsubscribed_at: toDbTime(ctx.clock.now()) });
    ctx.clock.advance(HOUR);
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'order-2', customer: { id: 'bob-2', email: 'Bob@Example.com' } }).expect(202);
  });

  it('is for editors: viewers are refused, anonymous people sent to sign in', async () => {
    const { agent: viewer } = await ctx.signIn('viewer');
    await viewer.get('/customers').expect(403);
    await viewer.get('/customers/ann-1').expect(403);
    const anonymous = await supertest(ctx.app).get('/customers/ann-1').expect(303);
    expect(anonymous.headers.location).to.match(/^\/login/);
  });

  it('finds customers by part of their id or email, case-insensitively', async () => {
    const byEmail = await editor.get('/customers').query({ q: 'BOB@example' }).expect(200);
    expect(byEmail.text).to.include('href="/customers/bob-2"');
    expect(byEmail.text).not.to.include('href="/customers/ann-1"');
    const byId = await editor.get('/customers').query({ q: 'ann-' }).expect(200);
    expect(byId.text).to.include('href="/customers/ann-1"');
    expect(byId.text).not.to.include('href="/customers/bob-2"');
    const none = await editor.get('/customers').query({ q: '100%_' }).expect(200);
    expect(text(none.text)).to.include('No customer has an id or email containing “100%_”');
    const all = await editor.get('/customers').expect(200);
    expect(all.text).to.include('href="/customers/ann-1"').and.include('href="/customers/bob-2"');
    expect(all.text).to.include('<label for="q">');
  });

  it('shows the timeline in time order with each decision and its reason, in the reporting time zone', async () => {
    const res = await editor.get('/customers/ann-1').expect(200);
    const page = text(res.text);
    // 10:00 UTC is 11:00 in Berlin (CET).
    expect(page).to.include('23 Nov 2026, 11:00 CET');
    const timeline = page.slice(page.indexOf('Oldest first'));
    const order = ['Event on delivery', 'Invitation #', 'Event on support'].map((s) => timeline.indexOf(s));
    expect(order.every((i) => i >= 0)).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
    expect(page).to.include('No survey: cooldown_global');
    expect(page).to.include('the customer was invited or answered recently (global cooldown)');
    expect(page).to.match(/cooldown_global: last invitation 2026-11-23/);
    expect(page).to.include('region: north');
    // At a glance: no survey before the cooldown ends, 30 days after the invitation.
    expect(page).to.include('No survey before 23 Dec 2026, 11:00');
    expect(res.text).to.include('<time datetime="2026-11-23T10:00:00.000Z">');
    expect(res.text).to.include('href="/surveys/delivery-nps"');
  });

  it('says at a glance that an unsubscribed customer gets nothing, and shows the unsubscribe', async () => {
    const page = text((await editor.get('/customers/bob-2').expect(200)).text);
    expect(page).to.include('Gets no survey: the customer unsubscribed');
    expect(page).to.include('Unsubscribed from all surveys');
    expect(page).to.include('No survey: unsubscribed');
    const timeline = page.slice(page.indexOf('Oldest first'));
    expect(timeline.indexOf('Unsubscribed from all surveys')).to.be.below(timeline.indexOf('Event on delivery'));
  });

  it('shows an answer and the sent invitation on the timeline', async () => {
    const customer = await ctx.deps.db('customers').where({ external_id: 'ann-1' }).first();
    const invitation = await ctx.deps.db('invitations').where({ customer_id: customer.id }).first();
    await ctx.deps.db('invitations').where({ id: invitation.id }).update({ state: 'responded', sent_at: invitation.send_at, responded_at: toDbTime(ctx.clock.now()) });
    await ctx.deps.db.transaction((trx) =>
      insertResponse(trx, { survey_id: invitation.survey_id, invitation_id: invitation.id, customer_id: customer.id, score: 9, comment: 'Quick & friendly', channel: 'email', answered_at: ctx.clock.now() }, 'Europe/Berlin'),
    );
    const page = text((await editor.get('/customers/ann-1').expect(200)).text);
    expect(page).to.include('Answer: 9 (NPS)');
    expect(page).to.include('Quick & friendly');
    expect(page).to.include(`Invitation #${invitation.id} sent`);
  });

  it('answers 404 for an unknown customer, and finds ids with slashes and spaces', async () => {
    await editor.get('/customers/nobody').expect(404);
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'odd-1', customer: { id: 'acme/42 x', email: 'odd@example.com' } }).expect(202);
    const list = await editor.get('/customers').query({ q: 'acme/' }).expect(200);
    expect(list.text).to.include('href="/customers/acme%2F42%20x"');
    await editor.get('/customers/acme%2F42%20x').expect(200);
  });
});
