import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { HOUR } from '../../server/clock.ts';
import { toDbTime } from '../../server/db/time.ts';
import { updateSettings } from '../../server/settings/service.ts';

describe('customer page: a hard bounce an editor clears, an unsubscribe only the customer undoes', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let editor: supertest.Agent;
  let csrf: string;
  let editorEmail: string;
  const text = (html: string) => html.replace(/<wbr>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/\s+/g, ' ');
  const event = (id: string, tx: string) => ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: tx, customer: { id, email: `${id}@example.com` } });

  before(async () => {
    ctx.clock.set('2026-11-23T10:00:00Z');
    await updateSettings(ctx.deps.db, { reporting_time_zone: 'Europe/Berlin' });
    ({ agent: editor, csrf } = await ctx.signIn('editor'));
    editorEmail = (await ctx.deps.db('users').where({ role: 'editor' }).first()).email;
    await ctx.api.post('/api/v1/surveys').send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }).expect(201);
    // Bea's address bounced before her first event here.
    const at = toDbTime(ctx.clock.now());
    await ctx.deps.db('customers').insert({ external_id: 'bea-1', email: 'bea-1@example.com', properties: '{}', bounced_at: at, bounce_reason: '550 5.1.1 mailbox unknown', created_at: at, updated_at: at });
    ctx.clock.advance(HOUR);
    expect((await event('bea-1', 'order-1').expect(202)).body).to.include({ status: 'suppressed', reason: 'bounced' });
    // Uma unsubscribed.
    await event('uma-2', 'order-2').expect(202);
    await ctx.deps.db('customers').where({ external_id: 'uma-2' }).update({ unsubscribed_at: toDbTime(ctx.clock.now()) });
  });

  it('shows the bounce (when, the server answer) and a form to clear it', async () => {
    const res = await editor.get('/customers/bea-1').expect(200);
    const page = text(res.text);
    expect(page).to.include('Email to this customer hard-bounced on 23 Nov 2026, 11:00');
    expect(page).to.include('550 5.1.1 mailbox unknown');
    expect(res.text).to.include('<form method="post" action="/customers/bea-1/clear-bounce">');
    expect(res.text).to.match(/<input type="hidden" name="_csrf" value="[^"]+">/);
    expect(page).to.include('Clear the hard bounce');
  });

  it('refuses to clear without a CSRF token, for viewers, and for unknown customers', async () => {
    await editor.post('/customers/bea-1/clear-bounce').type('form').send({}).expect(403);
    const { agent: viewer, csrf: viewerCsrf } = await ctx.signIn('viewer');
    await viewer.post('/customers/bea-1/clear-bounce').type('form').send({ _csrf: viewerCsrf }).expect(403);
    await editor.post('/customers/nobody/clear-bounce').type('form').send({ _csrf: csrf }).expect(404);
    expect((await ctx.deps.db('customers').where({ external_id: 'bea-1' }).first()).bounced_at).to.equal('2026-11-23T10:00:00.000Z');
  });

  it('clears it: who and when go on the timeline, the bounce stays there, and surveys go out again', async () => {
    ctx.clock.advance(HOUR);
    const res = await editor.post('/customers/bea-1/clear-bounce').type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).to.equal('/customers/bea-1?cleared=1');
    const row = await ctx.deps.db('customers').where({ external_id: 'bea-1' }).first();
    expect(row).to.include({ bounced_at: null, bounce_reason: null });

    const shown = await editor.get(res.headers.location).expect(200);
    const page = text(shown.text);
    expect(page).to.include('The hard bounce was cleared.');
    expect(shown.text).not.to.include('/clear-bounce');
    const timeline = page.slice(page.indexOf('Oldest first'));
    expect(timeline).to.include('Email hard-bounced').and.include('550 5.1.1 mailbox unknown');
    expect(timeline).to.include(`Hard bounce cleared`).and.include(`Cleared by ${editorEmail}`);
    expect(timeline.indexOf('Email hard-bounced')).to.be.below(timeline.indexOf('Hard bounce cleared'));
    expect(timeline).to.include('23 Nov 2026, 13:00');

    const api = await ctx.api.get('/api/v1/customers/bea-1/timeline').expect(200);
    const cleared = api.body.timeline.find((e: { kind: string }) => e.kind === 'bounce_cleared');
    expect(cleared).to.include({ at: '2026-11-23T12:00:00.000Z', by: editorEmail, bounced_at: '2026-11-23T10:00:00.000Z' });

    expect((await event('bea-1', 'order-3').expect(202)).body.status).to.equal('scheduled');
    // Clearing again does nothing more.
    await editor.post('/customers/bea-1/clear-bounce').type('form').send({ _csrf: csrf }).expect(303);
    expect(await ctx.deps.db('customer_actions').where({ kind: 'bounce_cleared' }).select()).to.have.length(1);
  });

  it('says an unsubscribe can only be undone by the customer, and offers no button for it', async () => {
    const res = await editor.get('/customers/uma-2').expect(200);
    const page = text(res.text);
    expect(page).to.include('The customer unsubscribed from all surveys on 23 Nov 2026, 12:00');
    expect(page).to.include('Only the customer can undo this');
    expect(res.text).not.to.include('/clear-bounce');
    expect(res.text).not.to.match(/action="[^"]*subscribe/);
  });

  it('offers no clearing for an erased customer, and refuses it', async () => {
    const at = toDbTime(ctx.clock.now());
    await ctx.deps.db('customers').insert({ external_id: 'eve-3', properties: '{}', bounced_at: at, erased_at: at, created_at: at, updated_at: at });
    const res = await editor.get('/customers/eve-3').expect(200);
    expect(res.text).not.to.include('/clear-bounce');
    await editor.post('/customers/eve-3/clear-bounce').type('form').send({ _csrf: csrf }).expect(409);
  });
});
