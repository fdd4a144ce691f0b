import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { seedInvitation } from '../helpers/invitations.ts';

/**
 * Issue 16, point 5: the first answer in five minutes. /getting-started lists the steps and what is done;
 * "send a test event to me" emails the signed-in person at once (no delay, quiet hours or contact rules),
 * the Mailbox shows that email with live links that open in a new tab, and its answer is kept as a test
 * that no figure counts. On SQLite and PostgreSQL, through HTTP and the sending worker.
 */
describe('the first run: a checklist and a test event to oneself', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  let admin: { agent: supertest.Agent; csrf: string; email: string };

  const steps = async () => {
    const page = (await admin.agent.get('/getting-started').expect(200)).text;
    return [...page.matchAll(/<li class="step-(done|todo)">/g)].map((m) => m[1]);
  };
  const sendTest = async (survey: string) =>
    admin.agent.post('/getting-started/test-event').type('form').send({ _csrf: admin.csrf, survey }).expect(303).expect('Location', '/getting-started');

  before(async () => {
    ctx.clock.set('2026-11-23T21:30:00Z');
    admin = await ctx.signIn('admin');
  });

  it('lists the five steps with what is done, and the dashboard says how far it is', async () => {
    // The test context made an API key; no survey yet.
    expect(await steps()).to.deep.equal(['todo', 'done', 'todo', 'todo', 'todo']);
    const dashboard = (await admin.agent.get('/dashboard').expect(200)).text;
    expect(dashboard).to.contain('Getting started: 1 of 5 steps done.');
    // Without a survey that emails, the test event is refused, naming the field.
    const refused = await admin.agent.post('/getting-started/test-event').type('form').send({ _csrf: admin.csrf }).expect(422);
    expect(refused.text).to.contain('needs an active survey that emails');
  });

  it('sends a test event at once, past the delay, quiet hours and cooldown, and counts nothing for it', async () => {
    // A two-hour delay, and 21:30 UTC is inside the quiet hours.
    await ctx.api
      .post('/api/v1/surveys')
      .send({ key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active', send_delay_minutes: 120, quiet_hours: { start: '20:00', end: '08:00' } })
      .expect(201);
    await sendTest('delivery-nps');
    const invitation = await ctx.deps.db('invitations').where({ is_test: true }).first();
    expect(invitation.send_at).to.equal('2026-11-23T21:30:00.000Z');
    const event = await ctx.deps.db('events').where({ id: invitation.event_id }).first();
    expect(event.source).to.equal('test');
    expect(event.reason_detail).to.contain('a test event');
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([invitation.id]);
    // Nothing counted: not the event in the funnel, not the invitation in the response rate.
    expect(await ctx.deps.db('event_segment_daily').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);
    expect(await ctx.deps.db('invitation_daily').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);
    // A second test right away: the cooldown after the first does not hold it back.
    await sendTest('delivery-nps');
    const second = await ctx.deps.db('invitations').where({ is_test: true }).orderBy('id', 'desc').first('id');
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([second.id]);
    expect(await steps()).to.deep.equal(['done', 'done', 'done', 'todo', 'todo']);
  });

  it('shows the test email in the Mailbox with live links that open in a new tab; its answer is a test no figure counts', async () => {
    const messages = (await admin.agent.get('/mailbox').expect(200)).text;
    const id = /href="\/mailbox\/(\d+)"/.exec(messages)![1];
    const shown = (await admin.agent.get(`/mailbox/${id}`).expect(200)).text;
    expect(shown).to.contain('its links are live');
    expect(shown).to.contain('sandbox="allow-popups allow-popups-to-escape-sandbox"');
    const html = await admin.agent.get(`/mailbox/${id}/html`).expect(200);
    expect(html.headers['content-security-policy']).to.match(/^sandbox allow-popups allow-popups-to-escape-sandbox;/);
    expect(html.text).to.contain('<base target="_blank">');
    expect(html.text).not.to.contain('preview-token');
    const token = /\/r\/([A-Za-z0-9_-]{43})\?score=9/.exec(html.text)![1];

    await supertest(ctx.app).post(`/r/${token}`).type('form').send({ score: '9', comment: 'Testing', trigger: 'click', input: 'pointer' }).expect(200);
    expect(await ctx.deps.db('responses').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);
    const answer = await ctx.deps.db('answers').orderBy('id', 'desc').first();
    expect({ state: answer.state, reason: answer.reason, score: Number(answer.score) }).to.deep.equal({ state: 'discarded', reason: 'test', score: 9 });
    const metrics = (await ctx.api.get('/api/v1/metrics').query({ survey: 'delivery-nps' }).expect(200)).body;
    expect(metrics.n ?? metrics.overall?.n).to.equal(0);

    expect(await steps()).to.deep.equal(['done', 'done', 'done', 'done', 'done']);
    const dashboard = (await admin.agent.get('/dashboard').expect(200)).text;
    expect(dashboard).not.to.contain('Getting started:');
    expect(dashboard).to.contain('Your test answer: 9 for delivery-nps');
    // A customer's email in the Mailbox still shows inert links only.
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'delivery', transaction_id: 'order-1', customer: { id: 'c-1', email: 'c-1@example.com' } }).expect(202);
    ctx.clock.advance(24 * 3600_000);
    expect((await runOnce(ctx.deps)).sent).to.have.length(1);
    const latest = /href="\/mailbox\/(\d+)"/.exec((await admin.agent.get('/mailbox').expect(200)).text)![1];
    expect((await admin.agent.get(`/mailbox/${latest}/html`).expect(200)).text).to.contain('preview-token');
  });
});

describe('the first run ends with the first customer’s answer', function () {
  this.timeout(60_000);
  const ctx = withTestContext();

  it('points the dashboard to the checklist until a customer answers, checklist done or not', async () => {
    const admin = await ctx.signIn('admin');
    expect((await admin.agent.get('/dashboard').expect(200)).text).to.contain('Getting started: 1 of 5 steps done.');
    const seeded = await seedInvitation(ctx, { state: 'sent' });
    await supertest(ctx.app).post(`/r/${seeded.token}`).type('form').send({ score: '9', trigger: 'click', input: 'pointer' }).expect(200);
    const page = (await admin.agent.get('/dashboard').expect(200)).text;
    expect(page).not.to.contain('Getting started:');
    // The checklist itself stays where it was.
    expect((await admin.agent.get('/getting-started').expect(200)).text).to.contain('of 5 steps done');
  });
});
