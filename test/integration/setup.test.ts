import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, csrfFrom, type TestContext } from '../helpers/context.ts';
import { createApp } from '../../server/app.ts';
import { getSettings } from '../../server/settings/service.ts';
import { countUsers, findUserByEmail } from '../../server/auth/queries.ts';

/** A context whose database has no user yet (the helper creates an admin; remove it), and a fresh app. */
async function emptyInstall(): Promise<{ ctx: TestContext; app: ReturnType<typeof createApp> }> {
  const ctx = await createTestContext();
  await ctx.deps.db('users').del();
  return { ctx, app: createApp(ctx.deps) };
}

describe('first-run setup', () => {
  let ctx: TestContext;
  let app: ReturnType<typeof createApp>;
  beforeEach(async () => {
    ({ ctx, app } = await emptyInstall());
  });
  afterEach(async () => ctx.close());

  it('sends every app page to /setup while no user exists', async () => {
    for (const page of ['/', '/login', '/dashboard', '/users', '/settings']) {
      const res = await supertest(app).get(page).expect(303);
      expect(res.headers.location, page).to.equal('/setup');
    }
  });

  it('creates the admin, sets the reporting time zone, signs them in; then /setup is gone', async () => {
    const agent = supertest.agent(app);
    const form = await agent.get('/setup').expect(200);
    expect(form.text).to.match(/<option value="UTC" selected>/);
    expect(form.text).to.contain('<option value="Europe/Berlin">');
    expect(form.text).to.match(/<label for="f-demo">/);
    const csrf = await csrfFrom(agent, '/setup');
    const res = await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'owner@example.com', name: 'Olga Owner', password: 'a long enough password', password_confirm: 'a long enough password', reporting_time_zone: 'Europe/Berlin',
    }).expect(303);
    expect(res.headers.location).to.equal('/dashboard');

    const owner = await findUserByEmail(ctx.deps.db, 'owner@example.com');
    expect(owner?.role).to.equal('admin');
    expect(owner?.name).to.equal('Olga Owner');
    expect(owner?.password_hash).to.match(/^scrypt\$/);
    expect((await getSettings(ctx.deps.db)).reporting_time_zone).to.equal('Europe/Berlin');

    // Signed in: an admin page opens.
    const users = await agent.get('/users').expect(200);
    expect(users.text).to.contain('owner@example.com');

    // Setup cannot run again, not even from a fresh browser.
    await agent.get('/setup').expect(404);
    const stranger = supertest.agent(app);
    await stranger.get('/setup').expect(404);
    const token = await csrfFrom(stranger, '/login');
    await stranger.post('/setup').type('form').send({
      _csrf: token, email: 'intruder@example.com', password: 'a long enough password', password_confirm: 'a long enough password', reporting_time_zone: 'UTC',
    }).expect(404);
    expect(await countUsers(ctx.deps.db)).to.equal(1);
    expect(await findUserByEmail(ctx.deps.db, 'intruder@example.com')).to.equal(undefined);
  });

  it('shows the errors beside the fields and keeps what was typed', async () => {
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    const res = await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'not-an-email', name: 'Olga', password: 'short', password_confirm: 'other', reporting_time_zone: 'Mars/Olympus',
    }).expect(422);
    expect(res.text).to.match(/id="f-email-error"[^>]*>must be an email address/);
    expect(res.text).to.match(/id="f-password-error"[^>]*>must be at least 10 characters/);
    expect(res.text).to.match(/id="f-reporting_time_zone-error"[^>]*>must be an IANA time zone/);
    expect(res.text).to.contain('value="not-an-email"');
    expect(res.text).to.contain('value="Olga"');
    expect(res.text).not.to.contain('value="short"');
    expect(await countUsers(ctx.deps.db)).to.equal(0);

    const mismatch = await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'owner@example.com', password: 'a long enough password', password_confirm: 'a different password', reporting_time_zone: 'UTC',
    }).expect(422);
    expect(mismatch.text).to.match(/id="f-password_confirm-error"[^>]*>does not match/);
    expect(await countUsers(ctx.deps.db)).to.equal(0);
  });

  it('with "load a demo workspace" whose loading fails, still finishes and says why on the next page', async () => {
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'owner@example.com', password: 'a long enough password', password_confirm: 'a long enough password', reporting_time_zone: 'UTC', demo: 'on',
    }).expect(303);
    expect(await countUsers(ctx.deps.db)).to.equal(1);
    const next = await agent.get('/account').expect(200);
    // Either the demo loaded (its summary) or the failure is said; both are shown once in the flash.
    expect(next.text).to.match(/class="flash" role="status">[^<]*(demo workspace could not be loaded|Welcome)/);
    const again = await agent.get('/account').expect(200);
    expect(again.text).not.to.contain('class="flash"');
  });

  it('two setups at once make one admin', async () => {
    const a = supertest.agent(app);
    const b = supertest.agent(app);
    const [ta, tb] = [await csrfFrom(a, '/setup'), await csrfFrom(b, '/setup')];
    const form = (email: string, _csrf: string) => ({ _csrf, email, password: 'a long enough password', password_confirm: 'a long enough password', reporting_time_zone: 'UTC' });
    const results = await Promise.all([
      a.post('/setup').type('form').send(form('a@example.com', ta)),
      b.post('/setup').type('form').send(form('b@example.com', tb)),
    ]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 404]);
    expect(await countUsers(ctx.deps.db)).to.equal(1);
  });
});
