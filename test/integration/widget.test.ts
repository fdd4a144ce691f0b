import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContextPerTest, type TestContext } from '../helpers/context.ts';
import { activeSurvey } from '../helpers/invitations.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';
import { signingSecret } from '../../server/settings/signing-secrets.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { endDueWebWindows } from '../../server/widget/service.ts';
import { DAY } from '../../server/clock.ts';

const run = promisify(execFile);
const SHOP = 'https://shop.example';

/** The real `touchpoint` command against the test database. */
const touchpoint = (ctx: TestContext, ...args: string[]) =>
  run(process.execPath, ['server/touchpoint.js', ...args], {
    // LANG=C: the command's English words, whatever this machine's locale.
    env: { ...process.env, DATABASE_URL: ctx.deps.config.databaseUrl, SESSION_SECRET: ctx.deps.config.sessionSecret, LOG_LEVEL: 'silent', LANG: 'C', LC_ALL: '', LC_MESSAGES: '' },
  });

/** As the company's server signs: lowercase hex HMAC-SHA256 of the customer id, keyed with the secret as printed. */
const sign = (secret: string, customer: string) => crypto.createHmac('sha256', secret).update(customer, 'utf8').digest('hex');

/**
 * Issue 15: the widget on the company's site, through its real HTTP calls (as widget.js makes them, with
 * the shop's Origin), the command line that gives the secret and lists the sites, and the worker that
 * ends web windows.
 */
describe('the widget: web invitations shown in the company’s page', function () {
  this.timeout(60_000);
  const ctx = withTestContextPerTest();
  let secret = '';

  /** The secret and the shop's site, as the Settings page keeps them (the command line's own test goes through it). */
  async function install() {
    secret = await signingSecret(ctx.deps.db, 'widget');
    await updateSettings(ctx.deps.db, { widget_origins: [SHOP] });
  }

  /** The secret and the shop's site, through the command line; the app sees the site once its settings cache has caught up. */
  async function installByCommand() {
    const { stdout } = await touchpoint(ctx, 'widget', 'secret');
    secret = stdout.trim().split('\n').at(-1)!;
    expect(secret).to.match(/^tpwk_[A-Za-z0-9_-]{40,}$/);
    const allowed = await touchpoint(ctx, 'widget', 'allow', `${SHOP}/`);
    expect(allowed.stdout).to.contain(SHOP);
    for (let i = 0; i < 50 && !(await getSettings(ctx.deps.db)).widget_origins.includes(SHOP); i++) await new Promise((r) => setTimeout(r, 100));
  }

  const widget = (path: string, body: object, origin = SHOP) => supertest(ctx.app).post(`/widget/v1/${path}`).set('Origin', origin).send(body);
  const ask = (customer: string, signature = sign(secret, customer), origin = SHOP) => widget('invitation', { customer, signature, locale: 'de-DE' }, origin);

  async function event(customer: string, transaction: string, survey = 'checkout-nps', channel: 'web' | 'email_or_web' = 'web') {
    await activeSurvey(ctx, { key: survey, channel, question: { en: 'How likely are you to recommend us?', de: 'Wie wahrscheinlich empfehlen Sie uns?' }, comment_prompt: { en: 'Why?', de: 'Warum?' } });
    const res = await ctx.api.post('/api/v1/events').send({ touchpoint: survey.replace(/-nps$/, ''), transaction_id: transaction, customer: { id: customer, email: `${customer}@example.com` }, properties: { region: 'north' } }).expect(202);
    return res.body as { status: string; invitation_id: number };
  }

  const invitation = (id: number) => ctx.deps.db('invitations').where({ id }).first();

  it('prints the secret alone on its last line and lists a site; refuses a bad origin naming it', async () => {
    await installByCommand();
    expect((await getSettings(ctx.deps.db)).widget_origins).to.deep.equal([SHOP]);
    // Printed again: the same secret.
    expect((await touchpoint(ctx, 'widget', 'secret')).stdout.trim().split('\n').at(-1)).to.equal(secret);
    const failed = await touchpoint(ctx, 'widget', 'allow', 'shop.example/path').catch((e) => e);
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(/widget_origins/).and.to.match(/origin/);
  });

  it('an event for a web survey waits for the page view, is shown once in the customer’s language, and the worker emails nothing', async () => {
    await install();
    const decided = await event('c-1', 't-1');
    expect(decided.status).to.equal('scheduled');
    expect(await invitation(decided.invitation_id)).to.include({ state: 'waiting', channel: 'web' });
    const worked = await runOnce(ctx.deps);
    expect(worked.claimed).to.equal(0);

    const res = await ask('c-1').expect(200);
    expect(res.headers['access-control-allow-origin']).to.equal(SHOP);
    expect(res.body).to.include({ invitation: decided.invitation_id, locale: 'de', metric: 'nps', min: 0, max: 10, question: 'Wie wahrscheinlich empfehlen Sie uns?', comment_prompt: 'Warum?' });
    expect(res.body.texts).to.include({ close: 'Schließen', send: 'Senden' });
    expect(await invitation(decided.invitation_id)).to.include({ state: 'shown', locale: 'de' });
    // One survey per page view, and not again on the next.
    await ask('c-1').expect(204);
  });

  it('shows nothing to a bad signature, an unknown customer or another site, and answers a listed site’s preflight', async () => {
    await install();
    const decided = await event('c-2', 't-2');
    await ask('c-2', sign(secret, 'c-3')).expect(204);
    await ask('c-2', 'not-a-signature').expect(204);
    await ask('nobody').expect(204);
    const other = await ask('c-2', undefined, 'https://evil.example').expect(403);
    expect(other.headers).to.not.have.property('access-control-allow-origin');
    await supertest(ctx.app).post('/widget/v1/invitation').send({ customer: 'c-2', signature: sign(secret, 'c-2') }).expect(403);
    const preflight = await supertest(ctx.app).options('/widget/v1/answer').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST').expect(204);
    expect(preflight.headers).to.include({ 'access-control-allow-origin': SHOP, 'access-control-allow-methods': 'POST' });
    // Still waiting: nothing above showed it.
    expect(await invitation(decided.invitation_id)).to.include({ state: 'waiting' });
    const bad = await widget('invitation', { customer: '', signature: 5 }).expect(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).to.deep.equal(['customer', 'signature']);
    // The detail says each field once, as a sentence.
    expect(bad.body.detail).to.equal('Customer must not be empty. Signature must be the snippet\u2019s signature.');
  });

  it('stores a score as the customer’s settled answer with the event’s properties, then its comment; refuses another customer’s invitation', async () => {
    await install();
    const decided = await event('c-4', 't-4');
    await ask('c-4').expect(200);
    const body = { customer: 'c-4', signature: sign(secret, 'c-4'), invitation: decided.invitation_id };
    expect((await widget('answer', { ...body, score: 3 }).expect(200)).body).to.deep.equal({ state: 'settled' });
    await widget('answer', { ...body, score: 3, comment: 'Zu spät geliefert' }).expect(200);
    const responses = await ctx.deps.db('responses').where({ invitation_id: decided.invitation_id });
    expect(responses).to.have.length(1);
    expect(responses[0]).to.include({ score: 3, comment: 'Zu spät geliefert', channel: 'web', source: 'invitation', locale: 'de' });
    expect(JSON.parse(responses[0].properties)).to.deep.equal({ region: 'north' });
    expect(await invitation(decided.invitation_id)).to.include({ state: 'responded' });
    // Counted like an emailed answer: the metrics API has it, and the shown invitation counts for the response rate.
    const metrics = (await ctx.api.get('/api/v1/metrics').query({ survey: 'checkout-nps', from: '2026-11-01', to: '2026-11-30' }).expect(200)).body;
    expect(metrics.overall.n).to.equal(1);
    expect(metrics.response_rate).to.deep.include({ sent: 1, responded: 1, rate: 1 });
    // Split and filtered by channel: the website's answer is web, none came by email.
    const period = { survey: 'checkout-nps', from: '2026-11-01', to: '2026-11-30' };
    const split = (await ctx.api.get('/api/v1/metrics').query({ ...period, split: 'channel' }).expect(200)).body;
    expect(Object.keys(split.channels)).to.deep.equal(['web']);
    expect(split.channels.web).to.include({ n: 1, score: -100 });
    const web = (await ctx.api.get('/api/v1/metrics').query({ ...period, channel: 'web' }).expect(200)).body;
    expect(web).to.deep.include({ channel: 'web' });
    expect(web.overall.n).to.equal(1);
    expect(web.response_rate).to.deep.include({ sent: 1, responded: 1 });
    const email = (await ctx.api.get('/api/v1/metrics').query({ ...period, channel: 'email' }).expect(200)).body;
    expect(email.overall.n).to.equal(0);
    expect(email.response_rate).to.deep.include({ sent: 0, responded: 0 });
    await ctx.api.get('/api/v1/metrics').query({ ...period, channel: 'fax' }).expect(422);
    // The touchpoint page: by channel, and filtered to one.
    const { agent } = await ctx.signIn('viewer');
    const page = (await agent.get('/dashboard/checkout-nps').query({ from: '2026-11-01', to: '2026-11-30' }).expect(200)).text;
    expect(page).to.match(/<h2 id="channels-title">By channel<\/h2>/);
    expect(page).to.match(/<th scope="row">Website \(widget\)<\/th><td>\u2212100 /);
    const emailOnly = (await agent.get('/dashboard/checkout-nps').query({ from: '2026-11-01', to: '2026-11-30', channel: 'email' }).expect(200)).text;
    expect(emailOnly).to.contain('Email answers only');
    expect(emailOnly).to.not.match(/<th scope="row">Website \(widget\)<\/th>/);

    const bad = await widget('answer', { ...body, score: 11 }).expect(422);
    expect(bad.body.errors[0].field).to.equal('score');
    // Someone else's signed identity cannot answer it.
    await widget('answer', { customer: 'c-5', signature: sign(secret, 'c-5'), invitation: decided.invitation_id, score: 10 }).expect(404);
    await widget('answer', { ...body, signature: sign(secret, 'c-5'), score: 10 }).expect(404);
  });

  it('refuses a change after the edit window has closed, and keeps it in the ledger as not counted', async () => {
    await install();
    const decided = await event('c-11', 't-11');
    await ask('c-11').expect(200);
    const body = { customer: 'c-11', signature: sign(secret, 'c-11'), invitation: decided.invitation_id };
    await widget('answer', { ...body, score: 8 }).expect(200);
    ctx.clock.advance((await getSettings(ctx.deps.db)).edit_window_hours * 3_600_000 + 1000);
    await widget('answer', { ...body, score: 2, comment: 'Changed my mind' }).expect(409);
    expect(await ctx.deps.db('responses').where({ invitation_id: decided.invitation_id }).first()).to.include({ score: 8, comment: null });
    const ledger = await ctx.deps.db('answers').where({ invitation_id: decided.invitation_id }).orderBy('id').select('state', 'reason', 'score');
    expect(ledger).to.deep.equal([
      { state: 'settled', reason: 'person', score: 8 },
      { state: 'discarded', reason: 'closed', score: 2 },
    ]);
  });

  it('cannot answer an invitation that was never shown', async () => {
    await install();
    const decided = await event('c-6', 't-6');
    await widget('answer', { customer: 'c-6', signature: sign(secret, 'c-6'), invitation: decided.invitation_id, score: 9 }).expect(404);
    expect(await ctx.deps.db('responses').where({ invitation_id: decided.invitation_id })).to.have.length(0);
  });

  it('records a dismissal, which counts as a contact for the rules', async () => {
    await install();
    const decided = await event('c-7', 't-7');
    await ask('c-7').expect(200);
    await widget('dismiss', { customer: 'c-7', signature: sign(secret, 'c-7'), invitation: decided.invitation_id }).expect(204);
    expect(await invitation(decided.invitation_id)).to.include({ state: 'dismissed' });
    const timeline = (await ctx.api.get('/api/v1/customers/c-7/timeline').expect(200)).body.timeline;
    expect(timeline.map((e: { kind: string }) => e.kind)).to.include('dismissed');
    // The delivery log lists it by that state, with its channel; its page shows no email.
    const { agent } = await ctx.signIn('editor');
    const log = (await agent.get('/deliveries').query({ state: 'dismissed' }).expect(200)).text;
    expect(log).to.contain('<span class="pill state-dismissed">dismissed</span> <span class="muted">web</span>');
    expect((await agent.get('/deliveries').query({ state: 'waiting' }).expect(200)).text).to.not.contain('state-dismissed');
    await agent.get(`/deliveries/${decided.invitation_id}`).expect(200);
    // The global cooldown after an invitation (30 days) holds against the dismissed one.
    ctx.clock.advance(DAY);
    const next = await event('c-7', 't-7b');
    expect(next.status).to.equal('suppressed');
  });

  it('a web survey’s invitation expires with its window, recorded as such', async () => {
    await install();
    const decided = await event('c-8', 't-8');
    ctx.clock.advance(2 * DAY + 1000);
    expect(await endDueWebWindows(ctx.deps)).to.deep.equal({ expired: 1, emailed: 0 });
    expect(await invitation(decided.invitation_id)).to.include({ state: 'expired', reason: 'web_window_ended' });
    await ask('c-8').expect(204);
  });

  it('email_or_web: shown in the page within the window and then never emailed; emailed after it when not shown, and then never shown', async () => {
    await install();
    const shown = await event('c-9', 't-9', 'support-nps', 'email_or_web');
    const unseen = await event('c-10', 't-10', 'support-nps', 'email_or_web');
    await ask('c-9').expect(200);
    ctx.clock.advance(2 * DAY + 1000);
    expect(await endDueWebWindows(ctx.deps)).to.deep.equal({ expired: 0, emailed: 1 });
    const worked = await runOnce(ctx.deps);
    expect(worked.sent).to.deep.equal([unseen.invitation_id]);
    expect(await invitation(unseen.invitation_id)).to.include({ state: 'sent', channel: 'email' });
    expect(await invitation(shown.invitation_id)).to.include({ state: 'shown', channel: 'web' });
    const mail = await ctx.deps.db('mailbox_messages').select('to');
    expect(mail.map((m) => m.to)).to.deep.equal(['c-10@example.com']);
    await ask('c-10').expect(204);
  });

  it('limits each address in the database', async () => {
    await install();
    let last = 0;
    for (let i = 0; i < 61; i++) last = (await ask('nobody')).status;
    expect(last).to.equal(429);
  });

  it('the Settings page shows the snippet and the secret, lists the sites and refuses a bad one naming the line', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const page = (await agent.get('/settings').expect(200)).text;
    const shown = /id="widget-secret">([^<]+)</.exec(page)?.[1];
    expect(shown).to.equal(await signingSecret(ctx.deps.db, 'widget'));
    expect(page).to.contain('/widget.js" data-customer="CUSTOMER_ID" data-signature="SIGNATURE" async&gt;');
    await agent.post('/settings/widget-origins').type('form').send({ _csrf: csrf, widget_origins: `${SHOP}/\nhttp://127.0.0.1:8080` }).expect(303);
    expect((await getSettings(ctx.deps.db)).widget_origins).to.deep.equal([SHOP, 'http://127.0.0.1:8080']);
    const bad = await agent.post('/settings/widget-origins').type('form').send({ _csrf: csrf, widget_origins: 'https://shop.example/checkout' }).expect(422);
    expect(bad.text).to.contain('line &quot;https://shop.example/checkout&quot; must be a site');
    expect((await getSettings(ctx.deps.db)).widget_origins).to.have.length(2);
    await agent.post('/settings/widget-secret').type('form').send({ _csrf: csrf }).expect(303);
    expect(await signingSecret(ctx.deps.db, 'widget')).to.not.equal(shown);
  });
});
