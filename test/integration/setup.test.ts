import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { createTestContext, csrfFrom, type TestContext, withTestContextPerTest } from '../helpers/context.ts';
import { createApp } from '../../server/app.ts';
import { getSettings } from '../../server/settings/service.ts';
import { countUsers, findUserByEmail } from '../../server/auth/queries.ts';
import { prepareSetupCode, SETUP_CODE_FILE } from '../../server/accounts/setup.ts';
import { SETUP_CODE_LIMITS } from '../../server/accounts/setup-routes.ts';
import { varDir } from '../../server/config.ts';

/** Empties a context's users (the helper creates an admin; remove it), and makes a fresh app. */
async function emptied(ctx: TestContext): Promise<ReturnType<typeof createApp>> {
  await ctx.deps.db('users').del();
  return createApp(ctx.deps);
}

/** A context whose database has no user yet, and a fresh app. */
async function emptyInstall(env: Record<string, string> = {}): Promise<{ ctx: TestContext; app: ReturnType<typeof createApp> }> {
  const ctx = await createTestContext({ env });
  return { ctx, app: await emptied(ctx) };
}

const strong = 'tangerine harbour violin 42';

describe('first-run setup', () => {
  const ctx = withTestContextPerTest();
  let app: ReturnType<typeof createApp>;
  beforeEach(async () => {
    app = await emptied(ctx);
  });

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
      _csrf: csrf, email: 'owner@example.com', name: 'Olga Owner', password: strong, password_confirm: strong, reporting_time_zone: 'Europe/Berlin', company_name: ' Acme care ',
    }).expect(303);
    expect(res.headers.location).to.equal('/dashboard');

    const owner = await findUserByEmail(ctx.deps.db, 'owner@example.com');
    expect(owner?.role).to.equal('admin');
    expect(owner?.name).to.equal('Olga Owner');
    expect(owner?.password_hash).to.match(/^scrypt\$/);
    expect((await getSettings(ctx.deps.db)).reporting_time_zone).to.equal('Europe/Berlin');
    // The company's name signs the survey emails.
    expect((await getSettings(ctx.deps.db)).sender_name).to.equal('Acme care');

    // Signed in: an admin page opens.
    const users = await agent.get('/users').expect(200);
    expect(users.text).to.contain('owner@example.com');

    // Setup cannot run again, not even from a fresh browser.
    await agent.get('/setup').expect(404);
    const stranger = supertest.agent(app);
    await stranger.get('/setup').expect(404);
    const token = await csrfFrom(stranger, '/login');
    await stranger.post('/setup').type('form').send({
      _csrf: token, email: 'intruder@example.com', password: strong, password_confirm: strong, reporting_time_zone: 'UTC',
    }).expect(404);
    expect(await countUsers(ctx.deps.db)).to.equal(1);
    expect(await findUserByEmail(ctx.deps.db, 'intruder@example.com')).to.equal(undefined);
  });

  it('gives the first admin the language setup was done in (the browser’s), so the next page is German too', async () => {
    const agent = supertest.agent(app);
    await agent.get('/setup').set('Accept-Language', 'de-DE,de;q=0.9').expect(200);
    const csrf = await csrfFrom(agent, '/setup');
    await agent.post('/setup').set('Accept-Language', 'de-DE,de;q=0.9').type('form').send({
      _csrf: csrf, email: 'inhaber@example.com', name: 'Ina Inhaber', password: strong, password_confirm: strong, reporting_time_zone: 'Europe/Berlin',
    }).expect(303);
    expect((await findUserByEmail(ctx.deps.db, 'inhaber@example.com'))?.locale).to.equal('de');
    // Signed in, with an English browser now: the pages follow the admin's language.
    const page = (await agent.get('/dashboard').set('Accept-Language', 'en').expect(200)).text;
    expect(page).to.contain('<html lang="de">');
  });

  it('shows the errors beside the fields and keeps what was typed', async () => {
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    const res = await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'not-an-email', name: 'Olga', password: 'short', password_confirm: 'other', reporting_time_zone: 'Mars/Olympus',
    }).expect(422);
    expect(res.text).to.match(/id="f-email-error"[^>]*>must be an email address/);
    expect(res.text).to.match(/id="f-password-error"[^>]*>The password must be at least 12 characters long\./);
    expect(res.text).to.match(/id="f-reporting_time_zone-error"[^>]*>must be an IANA time zone/);
    expect(res.text).to.contain('value="not-an-email"');
    expect(res.text).to.contain('value="Olga"');
    expect(res.text).not.to.contain('value="short"');
    expect(await countUsers(ctx.deps.db)).to.equal(0);

    const mismatch = await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'owner@example.com', password: strong, password_confirm: 'a different password', reporting_time_zone: 'UTC',
    }).expect(422);
    expect(mismatch.text).to.match(/id="f-password_confirm-error"[^>]*>does not match/);
    expect(await countUsers(ctx.deps.db)).to.equal(0);
  });

  it('with "load a demo workspace" whose loading fails, still finishes and says why on the next page', async () => {
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    await agent.post('/setup').type('form').send({
      _csrf: csrf, email: 'owner@example.com', password: strong, password_confirm: strong, reporting_time_zone: 'UTC', demo: 'on',
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
    const form = (email: string, _csrf: string) => ({ _csrf, email, password: strong, password_confirm: strong, reporting_time_zone: 'UTC' });
    const results = await Promise.all([
      a.post('/setup').type('form').send(form('a@example.com', ta)),
      b.post('/setup').type('form').send(form('b@example.com', tb)),
    ]);
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 404]);
    expect(await countUsers(ctx.deps.db)).to.equal(1);
  });
});

describe('first-run setup: the one-time setup code', () => {
  const ctx = withTestContextPerTest({ env: { SETUP_CODE_REQUIRED: 'true' } });
  let app: ReturnType<typeof createApp>;
  let dir: string;
  beforeEach(async () => {
    app = await emptied(ctx);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-setup-code-'));
  });
  afterEach(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const form = (csrf: string, extra: Record<string, string> = {}) => ({
    _csrf: csrf, email: 'owner@example.com', password: strong, password_confirm: strong, reporting_time_zone: 'UTC', ...extra,
  });

  it('is made once, kept in var/setup-code (owner only) and the same after a restart', async () => {
    const first = await prepareSetupCode(ctx.deps.db, dir, ctx.clock.now());
    expect(first?.code).to.match(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    const file = path.join(dir, SETUP_CODE_FILE);
    expect(fs.readFileSync(file, 'utf8').trim()).to.equal(first!.code);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o077).to.equal(0);
    const again = await prepareSetupCode(ctx.deps.db, dir, ctx.clock.now());
    expect(again?.code).to.equal(first!.code);
    // The database holds a hash, never the code.
    const rows = await ctx.deps.db('settings').where('key', 'like', 'setup_code:%').select('key', 'value');
    expect(rows).to.have.length(1);
    expect(JSON.stringify(rows)).not.to.contain(first!.code.replace(/-/g, ''));
    expect(JSON.stringify(rows)).not.to.contain(first!.code);
  });

  it('says to restart serve when no process has made a code yet', async () => {
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    const res = await agent.post('/setup').type('form').send(form(csrf, { setup_code: 'ABCD-EFGH-JKMN' })).expect(422);
    expect(res.text).to.match(/id="f-setup_code-error"[^>]*>cannot be checked yet: no setup code has been made; restart touchpoint serve/);
    expect(await countUsers(ctx.deps.db)).to.equal(0);
  });

  it('asks for the code; a missing or wrong code is a field error beside the others, and creates nobody', async () => {
    await prepareSetupCode(ctx.deps.db, dir, ctx.clock.now());
    const agent = supertest.agent(app);
    const page = await agent.get('/setup').expect(200);
    expect(page.text).to.match(/<input id="f-setup_code" name="setup_code"/);
    const csrf = await csrfFrom(agent, '/setup');
    const missing = await agent.post('/setup').type('form').send(form(csrf)).expect(422);
    expect(missing.text).to.match(/id="f-setup_code-error"[^>]*>is required: it was printed on the console/);
    const wrong = await agent.post('/setup').type('form').send(form(csrf, { setup_code: 'AAAA-BBBB-CCCC', password: 'short', password_confirm: 'short' })).expect(422);
    expect(wrong.text).to.match(/id="f-setup_code-error"[^>]*>does not match the setup code printed on the console/);
    expect(wrong.text).to.match(/id="f-password-error"/);
    // The code typed is not shown again.
    expect(wrong.text).not.to.contain('AAAA-BBBB-CCCC');
    const odd = await agent.post('/setup').type('form').send(form(csrf, { setup_code: 'nonsense' })).expect(422);
    expect(odd.text).to.match(/id="f-setup_code-error"[^>]*>does not match the setup code printed on the console where Touchpoint was started</);
    expect(await countUsers(ctx.deps.db)).to.equal(0);
  });

  it('takes the code in any case, with or without dashes, from any process sharing the database; then it is gone', async () => {
    const mine = await prepareSetupCode(ctx.deps.db, dir, ctx.clock.now());
    // Another machine's serve made its own code: both open setup.
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'touchpoint-setup-code-'));
    const theirs = await prepareSetupCode(ctx.deps.db, otherDir, ctx.clock.now());
    fs.rmSync(otherDir, { recursive: true, force: true });
    expect(theirs!.code).not.to.equal(mine!.code);
    const otherApp = createApp(ctx.deps);
    const agent = supertest.agent(otherApp);
    const csrf = await csrfFrom(agent, '/setup');
    const typed = ` ${mine!.code.replace(/-/g, '').toLowerCase()} `;
    const res = await agent.post('/setup').type('form').send(form(csrf, { setup_code: typed })).expect(303);
    expect(res.headers.location).to.equal('/dashboard');
    expect(await countUsers(ctx.deps.db)).to.equal(1);
    expect(await ctx.deps.db('settings').where('key', 'like', 'setup_code:%').select('key')).to.deep.equal([]);
    // The next start finds setup done: no code, and this machine's file is removed.
    expect(await prepareSetupCode(ctx.deps.db, dir, ctx.clock.now())).to.equal(null);
    expect(fs.existsSync(path.join(dir, SETUP_CODE_FILE))).to.equal(false);
  });

  it('removes the kept code of the machine that completed setup', async () => {
    const kept = varDir(ctx.deps.config.databaseUrl);
    const setup = await prepareSetupCode(ctx.deps.db, kept, ctx.clock.now());
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    await agent.post('/setup').type('form').send(form(csrf, { setup_code: setup!.code })).expect(303);
    expect(fs.existsSync(path.join(kept, SETUP_CODE_FILE))).to.equal(false);
  });

  it('throttles tries per address: past the limit even the right code waits (429, Retry-After), other addresses do not', async () => {
    const setup = await prepareSetupCode(ctx.deps.db, dir, ctx.clock.now());
    const agent = supertest.agent(app);
    const csrf = await csrfFrom(agent, '/setup');
    const from = (address: string, code: string) =>
      agent.post('/setup').set('X-Forwarded-For', address).type('form').send(form(csrf, { setup_code: code }));
    const limit = SETUP_CODE_LIMITS[0].max;
    for (let i = 0; i < limit; i++) await from('203.0.113.7', `WRONG-CODE-${String(i).padStart(2, '0')}`).expect(422);
    const refused = await from('203.0.113.7', setup!.code).expect(429);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, SETUP_CODE_LIMITS[0].windowMs / 1000);
    expect(refused.text).to.match(/Too many setup codes were tried from your address\. Try again in \d+ minutes?\./);
    expect(await countUsers(ctx.deps.db)).to.equal(0);
    // Another address is not held up; after the window, the first one may try again.
    await from('198.51.100.4', 'WRONG-CODE-XX').expect(422);
    ctx.clock.advance(SETUP_CODE_LIMITS[0].windowMs);
    await from('203.0.113.7', setup!.code).expect(303);
    expect(await countUsers(ctx.deps.db)).to.equal(1);
  });

  it('is not asked for when SETUP_CODE_REQUIRED=false, nor by default on loopback', async () => {
    for (const env of [{ SETUP_CODE_REQUIRED: 'false', HOST: '0.0.0.0' }, {}] as Record<string, string>[]) {
      const plain = await emptyInstall(env);
      try {
        const page = await supertest(plain.app).get('/setup').expect(200);
        expect(page.text, JSON.stringify(env)).not.to.contain('name="setup_code"');
      } finally {
        await plain.ctx.close();
      }
    }
  });
});
