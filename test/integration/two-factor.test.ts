import { expect } from 'chai';
import supertest from 'supertest';
import { generate } from 'otplib';
import { csrfFrom, TEST_PASSWORD, type TestContext, withTestContextPerTest } from '../helpers/context.ts';
import { MINUTE } from '../../server/clock.ts';
import { formFromSettings } from '../../server/settings-page/form.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';
import { issuePasswordLink } from '../../server/auth/links.ts';
import { hashRecoveryCode, openSecret, sealSecret, secretKeyFrom } from '../../server/auth/two-factor.ts';

/**
 * Two-factor sign-in (issue 10, point 3), through HTTP as a browser would: the secret is read from the
 * enrolment page as a person reads the text beside the QR code, and codes are made from it with otplib
 * at the app's clock.
 */

const sidOf = (res: supertest.Response): string | undefined => /tp\.sid=([^;]+)/.exec(String(res.headers['set-cookie'] ?? ''))?.[1];
const auditRows = (ctx: TestContext, action: string) => ctx.deps.db('audit_log').where({ action }).orderBy('id');

/** The code an authenticator app shows for `secret` at the app's clock (plus `offsetSeconds`). */
const codeFor = (ctx: TestContext, secret: string, offsetSeconds = 0) => generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) + offsetSeconds });

/** The secret as the enrolment page shows it for typing (groups of four), without the spaces. */
function secretOn(page: string): string {
  const match = /<code id="two-factor-secret">([A-Z2-7 ]+)<\/code>/.exec(page);
  expect(match, 'the secret as text on the enrolment page').to.not.equal(null);
  return match![1].replace(/ /g, '');
}

const recoveryCodesOn = (page: string): string[] => [...page.matchAll(/<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})<\/code><\/li>/g)].map((m) => m[1]);

/** Turns on two-factor sign-in for the agent's user; returns the secret and the recovery codes shown. */
async function enrol(ctx: TestContext, agent: supertest.Agent) {
  const page = await agent.get('/account/two-factor/setup').expect(200);
  const secret = secretOn(page.text);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1];
  const done = await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrf, code: await codeFor(ctx, secret) }).expect(200);
  const codes = recoveryCodesOn(done.text);
  expect(codes).to.have.length(10);
  return { secret, codes, page: done.text };
}

/** The password step in a fresh browser: it must lead to the code step. */
async function passwordStep(ctx: TestContext, email: string, extra: Record<string, string> = {}) {
  const agent = supertest.agent(ctx.app);
  const csrf = await csrfFrom(agent, '/login');
  const res = await agent.post('/login').type('form').send({ email, password: TEST_PASSWORD, _csrf: csrf, ...extra }).expect(303);
  expect(res.headers.location).to.equal('/login/code');
  const page = await agent.get('/login/code').expect(200);
  const codeCsrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1];
  return { agent, csrf: codeCsrf, sid: sidOf(res) };
}

describe('two-factor sign-in (TOTP)', () => {
  const ctx = withTestContextPerTest();

  it('enrolment: a QR code and the secret as text, a wrong code refused, ten recovery codes shown once and stored hashed', async () => {
    const { agent, csrf, userId, email } = await ctx.signIn('viewer');
    const account = await agent.get('/account').expect(200);
    expect(account.text).to.contain('Two-factor sign-in is <strong>off</strong>');
    expect(account.text).to.contain('href="/account/two-factor/setup"');

    const page = await agent.get('/account/two-factor/setup').expect(200);
    expect(page.text).to.match(/<img class="qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/&#;]+"[^>]* alt="QR code that adds Touchpoint \(viewer-[^)]+\) to an authenticator app">/);
    const secret = secretOn(page.text);
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    // The QR code carries the otpauth URI with issuer Touchpoint and the email.
    const svg = Buffer.from(/src="data:image\/svg\+xml;base64,([^"]+)"/.exec(page.text)![1].replace(/&#x3D;/g, '='), 'base64').toString();
    expect(svg).to.contain('<svg');
    // Reloading shows the same secret (the enrolment under way), not a new one.
    expect(secretOn((await agent.get('/account/two-factor/setup').expect(200)).text)).to.equal(secret);
    // Stored sealed, never as the secret.
    const row = await ctx.deps.db('user_second_factors').where({ user_id: userId }).first();
    expect(row.secret).to.match(/^v1:/).and.not.contain(secret);
    expect(row.confirmed_at).to.equal(null);

    // A wrong code: refused, nothing turned on.
    const right = await codeFor(ctx, secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const refused = await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrf, code: wrong }).expect(422);
    expect(refused.text).to.contain('The code is wrong.');
    expect(secretOn(refused.text)).to.equal(secret);
    const empty = await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrf, code: '' }).expect(422);
    expect(empty.text).to.contain('Code is required');
    expect((await ctx.deps.db('user_second_factors').where({ user_id: userId }).first()).confirmed_at).to.equal(null);

    // The right code: on, with ten recovery codes shown once.
    const done = await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrf, code: right }).expect(200);
    const codes = recoveryCodesOn(done.text);
    expect(codes).to.have.length(10);
    expect(new Set(codes).size).to.equal(10);
    expect(done.text).to.contain('Keep these recovery codes somewhere safe now');
    expect(done.headers['cache-control']).to.equal('no-store');
    const stored = await ctx.deps.db('user_recovery_codes').where({ user_id: userId }).select('code_hash');
    expect(stored.map((r) => r.code_hash).sort()).to.deep.equal(codes.map(hashRecoveryCode).sort());
    expect(JSON.stringify(await ctx.deps.db('user_recovery_codes').select())).not.to.contain(codes[0]);
    expect((await ctx.deps.db('user_second_factors').where({ user_id: userId }).first()).confirmed_at).to.be.a('string');

    // Never shown again: the enrolment page now leads to the manage page, which shows neither secret nor codes.
    const again = await agent.get('/account/two-factor/setup').expect(303);
    expect(again.headers.location).to.equal('/account/two-factor');
    const manage = await agent.get('/account/two-factor').expect(200);
    expect(manage.text).to.contain('You have 10 of 10 recovery codes left.');
    for (const text of [manage.text, (await agent.get('/account').expect(200)).text]) {
      expect(text).not.to.contain(secret);
      expect(text).not.to.contain(codes[0]);
    }
    // A second attempt to confirm does not show codes again.
    // The session has a new id and CSRF token since enrolment; the old token is refused.
    await agent.post('/account/two-factor/setup').type('form').send({ _csrf: csrf, code: right }).expect(403);
    const replay = await agent.post('/account/two-factor/setup').type('form').send({ _csrf: await csrfFrom(agent, '/account'), code: right });
    expect(replay.status).to.equal(303);
    expect(recoveryCodesOn(replay.text)).to.deep.equal([]);

    const [enabled] = await auditRows(ctx, 'auth.second_factor_enabled');
    expect([enabled.actor_label, enabled.target_label, enabled.target_id]).to.deep.equal([email, email, String(userId)]);
  });

  it('sign-in asks for the code after the password; the session is not signed in between, and gets a new id at the end', async () => {
    const { agent, email } = await ctx.signIn('editor');
    const { secret } = await enrol(ctx, agent);
    // The next step's code (enrolment used this one).
    ctx.clock.advance(30_000);

    const step = await passwordStep(ctx, email, { next: '/surveys' });
    // Not signed in: every page sends them to sign in.
    for (const path of ['/dashboard', '/account', '/surveys']) {
      const res = await step.agent.get(path).expect(303);
      expect(res.headers.location, path).to.equal(`/login?next=${encodeURIComponent(path)}`);
    }
    const stored = await ctx.deps.db('sessions').where({ sid: decodeURIComponent(step.sid!).slice(2).split('.')[0] }).first();
    expect(JSON.parse(typeof stored.sess === 'string' ? stored.sess : JSON.stringify(stored.sess))).to.not.have.property('userId');
    // A form signed in users post to is refused too (no signed-in CSRF token, no user).
    await step.agent.post('/account/language').type('form').send({ _csrf: step.csrf, locale: 'de' }).expect(401);

    // A wrong code: 401, still not signed in.
    const right = await codeFor(ctx, secret);
    const wrong = right === '000000' ? '111111' : '000000';
    const refused = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: wrong }).expect(401);
    expect(refused.text).to.contain('The code is wrong or was used already.');
    await step.agent.get('/dashboard').expect(303);

    // The right code: signed in, under a new session id, and on to where they were going.
    const done = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: right }).expect(303);
    expect(done.headers.location).to.equal('/surveys');
    const sid = sidOf(done);
    expect(sid).to.be.a('string').and.not.equal(step.sid);
    await step.agent.get('/dashboard').expect(200);
    // The id of the waiting step no longer works.
    await supertest(ctx.app).get('/dashboard').set('Cookie', `tp.sid=${step.sid}`).expect(303);

    const [signIn] = (await auditRows(ctx, 'auth.sign_in')).filter((r) => r.actor_label === email && JSON.parse(r.detail).method);
    expect(JSON.parse(signIn.detail)).to.deep.equal({ method: 'totp' });
    const failed = await auditRows(ctx, 'auth.second_factor_failed');
    expect(failed.map((r) => r.target_label)).to.deep.equal([email]);
    // The audit page reads them as sentences.
    const admin = await ctx.signIn('admin');
    const auditPage = await admin.agent.get('/audit?action=auth.').expect(200);
    expect(auditPage.text).to.contain('signed in with a second factor');
    expect(auditPage.text).to.contain('entered a wrong second-factor code');
  });

  it('a TOTP code works once: the same code again is refused, the next one works', async () => {
    const { agent, email } = await ctx.signIn('viewer');
    const { secret } = await enrol(ctx, agent);
    // Enrolment used the code of this step: it cannot sign in.
    const first = await passwordStep(ctx, email);
    const enrolled = await codeFor(ctx, secret);
    await first.agent.post('/login/code').type('form').send({ _csrf: first.csrf, code: enrolled }).expect(401);

    ctx.clock.advance(30_000);
    const code = await codeFor(ctx, secret);
    await first.agent.post('/login/code').type('form').send({ _csrf: first.csrf, code }).expect(303);
    // Another browser with the same code, within its window: refused.
    ctx.clock.advance(10_000);
    const second = await passwordStep(ctx, email);
    const replayed = await second.agent.post('/login/code').type('form').send({ _csrf: second.csrf, code }).expect(401);
    expect(replayed.text).to.contain('The code is wrong or was used already.');
    // The code of the step before, still inside the ±1 window, is refused too (older than the last used).
    await second.agent.post('/login/code').type('form').send({ _csrf: second.csrf, code: await codeFor(ctx, secret, -30) }).expect(401);
    // The next step's code works.
    ctx.clock.advance(30_000);
    await second.agent.post('/login/code').type('form').send({ _csrf: second.csrf, code: await codeFor(ctx, secret) }).expect(303);
    await second.agent.get('/dashboard').expect(200);
  });

  it('accepts the code of the step before and after (clock drift), not two steps away', async () => {
    const { agent, email } = await ctx.signIn('viewer');
    const { secret } = await enrol(ctx, agent);
    ctx.clock.advance(5 * MINUTE);
    const step = await passwordStep(ctx, email);
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: await codeFor(ctx, secret, -75) }).expect(401);
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: await codeFor(ctx, secret, 65) }).expect(401);
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: await codeFor(ctx, secret, -30) }).expect(303);
    const later = await passwordStep(ctx, email);
    ctx.clock.advance(30_000);
    await later.agent.post('/login/code').type('form').send({ _csrf: later.csrf, code: await codeFor(ctx, secret, 30) }).expect(303);
  });

  it('a recovery code signs in once, and not twice', async () => {
    const { agent, email, userId } = await ctx.signIn('viewer');
    const { codes } = await enrol(ctx, agent);
    const step = await passwordStep(ctx, email);
    // Typed as a person might: upper case, spaces for dashes.
    const typed = codes[3].toUpperCase().replace(/-/g, ' ');
    const res = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, recovery_code: typed }).expect(303);
    expect(res.headers.location).to.equal('/dashboard');
    const dashboard = await step.agent.get('/dashboard').expect(200);
    expect(dashboard.text).to.contain('You signed in with a recovery code; it no longer works. You have 9 recovery codes left.');
    expect(await ctx.deps.db('user_recovery_codes').where({ user_id: userId }).whereNotNull('used_at').count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);

    const again = await passwordStep(ctx, email);
    const refused = await again.agent.post('/login/code').type('form').send({ _csrf: again.csrf, recovery_code: codes[3] }).expect(401);
    expect(refused.text).to.contain('The code is wrong or was used already.');
    expect(refused.text).to.contain('<details class="recovery" open>');
    await again.agent.get('/dashboard').expect(303);
    // Another one works.
    await again.agent.post('/login/code').type('form').send({ _csrf: again.csrf, recovery_code: codes[4] }).expect(303);

    const used = await auditRows(ctx, 'auth.recovery_code_used');
    expect(used.map((r) => [r.actor_label, r.target_label, JSON.parse(r.detail).left])).to.deep.equal([[email, email, 9], [email, email, 8]]);
    const signIns = (await auditRows(ctx, 'auth.sign_in')).map((r) => JSON.parse(r.detail).method).filter(Boolean);
    expect(signIns).to.deep.equal(['recovery_code', 'recovery_code']);
  });

  it('wrong codes are throttled per account: 429 with Retry-After, even for the right code, until the hold ends', async () => {
    const { agent, email } = await ctx.signIn('viewer');
    const { secret, codes } = await enrol(ctx, agent);
    ctx.clock.advance(30_000);
    const step = await passwordStep(ctx, email);
    const right = await codeFor(ctx, secret);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) expect((await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: wrong })).status, `wrong code ${i}`).to.equal(401);
    const fifth = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: wrong }).expect(429);
    expect(fifth.headers['retry-after']).to.equal('60');
    expect(fifth.text).to.contain('Too many wrong codes. Try again in 1 minute.');
    // Held: the right code, a recovery code, and another browser with the password are refused at once.
    const held = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: right }).expect(429);
    expect(Number(held.headers['retry-after'])).to.be.within(1, 60);
    const other = await passwordStep(ctx, email);
    await other.agent.post('/login/code').type('form').send({ _csrf: other.csrf, recovery_code: codes[0] }).expect(429);
    await step.agent.get('/dashboard').expect(303);
    // A minute later the right code gets in.
    ctx.clock.advance(MINUTE);
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: await codeFor(ctx, secret) }).expect(303);
    await step.agent.get('/dashboard').expect(200);

    expect(await auditRows(ctx, 'auth.second_factor_failed')).to.have.length(5);
    const [hold] = await auditRows(ctx, 'auth.throttled');
    expect(JSON.parse(hold.detail)).to.include({ kind: 'two_factor', scope: 'account', retry_after_seconds: 60 });
  });

  it('the code step expires after five minutes and is bound to its session', async () => {
    const { agent, email } = await ctx.signIn('viewer');
    const { secret } = await enrol(ctx, agent);
    const step = await passwordStep(ctx, email);
    // Another browser (no waiting sign-in of its own) cannot finish it.
    const stranger = supertest.agent(ctx.app);
    const strangerCsrf = await csrfFrom(stranger, '/login');
    const res = await stranger.post('/login/code').type('form').send({ _csrf: strangerCsrf, code: await codeFor(ctx, secret) }).expect(401);
    expect(res.text).to.contain('Sign in again with your email and password.');
    await stranger.get('/login/code').expect(303);

    ctx.clock.advance(5 * MINUTE + 1000);
    const late = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: await codeFor(ctx, secret) }).expect(401);
    expect(late.text).to.contain('Signing in took too long or was interrupted');
    await step.agent.get('/dashboard').expect(303);
  });

  it('a password set through a reset link still needs the code', async () => {
    const { agent, email, userId } = await ctx.signIn('viewer');
    const { secret } = await enrol(ctx, agent);
    const { token } = await issuePasswordLink(ctx.deps.db, userId, 'reset', ctx.clock.now());
    const browser = supertest.agent(ctx.app);
    const csrf = await csrfFrom(browser, `/password/set/${token}`);
    const res = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: csrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(303);
    expect(res.headers.location).to.equal('/login/code');
    const page = await browser.get('/login/code').expect(200);
    expect(page.text).to.contain('Your password is set. Enter a code to finish signing in.');
    await browser.get('/dashboard').expect(303);
    ctx.clock.advance(30_000);
    await browser.post('/login/code').type('form').send({ _csrf: /name="csrf-token" content="([^"]+)"/.exec(page.text)![1], code: await codeFor(ctx, secret) }).expect(303);
    await browser.get('/dashboard').expect(200);
    expect(email).to.be.a('string');
  });

  it('turning it off needs the current password and a code', async () => {
    const { agent, csrf: _csrf, email, userId } = await ctx.signIn('viewer');
    const { secret, codes } = await enrol(ctx, agent);
    const csrf = await csrfFrom(agent, '/account/two-factor');
    expect(_csrf).to.not.equal(csrf, 'the session got a new CSRF token with its new id');
    ctx.clock.advance(30_000);
    const code = await codeFor(ctx, secret);

    const badPassword = await agent.post('/account/two-factor/disable').type('form').send({ _csrf: csrf, current_password: 'not my password', disable_code: code }).expect(422);
    expect(badPassword.text).to.contain('Current password is not your current password.');
    const badCode = await agent.post('/account/two-factor/disable').type('form').send({ _csrf: csrf, current_password: TEST_PASSWORD, disable_code: '12345' }).expect(422);
    expect(badCode.text).to.contain('The code is wrong or was used already.');
    const noCode = await agent.post('/account/two-factor/disable').type('form').send({ _csrf: csrf, current_password: TEST_PASSWORD, disable_code: '' }).expect(422);
    expect(noCode.text).to.contain('Code is required');
    expect(await ctx.deps.db('user_second_factors').where({ user_id: userId }).first()).to.not.equal(undefined);

    const off = await agent.post('/account/two-factor/disable').type('form').send({ _csrf: csrf, current_password: TEST_PASSWORD, disable_code: code }).expect(303);
    expect(off.headers.location).to.equal('/account');
    expect((await agent.get('/account').expect(200)).text).to.contain('Two-factor sign-in is off, and your recovery codes no longer work.');
    expect(await ctx.deps.db('user_second_factors').where({ user_id: userId }).first()).to.equal(undefined);
    expect(await ctx.deps.db('user_recovery_codes').where({ user_id: userId })).to.deep.equal([]);
    // Signing in needs only the password again.
    const fresh = supertest.agent(ctx.app);
    const loginCsrf = await csrfFrom(fresh, '/login');
    expect((await fresh.post('/login').type('form').send({ email, password: TEST_PASSWORD, _csrf: loginCsrf }).expect(303)).headers.location).to.equal('/dashboard');
    expect(codes).to.have.length(10);

    const [disabled] = await auditRows(ctx, 'auth.second_factor_disabled');
    expect([disabled.actor_label, disabled.target_label]).to.deep.equal([email, email]);
    expect(await auditRows(ctx, 'auth.second_factor_failed')).to.have.length(1);
  });

  it('new recovery codes need a code; the old ones stop working', async () => {
    const { agent, email } = await ctx.signIn('viewer');
    const { secret, codes } = await enrol(ctx, agent);
    const csrf = await csrfFrom(agent, '/account/two-factor');
    await agent.post('/account/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: '' }).expect(422);
    // The code used at enrolment cannot be used again.
    const replay = await agent.post('/account/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: await codeFor(ctx, secret) }).expect(422);
    expect(replay.text).to.contain('The code is wrong or was used already.');
    ctx.clock.advance(30_000);
    const made = await agent.post('/account/two-factor/recovery-codes').type('form').send({ _csrf: csrf, code: await codeFor(ctx, secret) }).expect(200);
    const fresh = recoveryCodesOn(made.text);
    expect(fresh).to.have.length(10);
    expect(fresh).to.not.include(codes[0]);
    const step = await passwordStep(ctx, email);
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, recovery_code: codes[0] }).expect(401);
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, recovery_code: fresh[0] }).expect(303);
    expect(await auditRows(ctx, 'auth.recovery_codes_replaced')).to.have.length(1);
  });

  it('when the Settings say so, an admin without a second factor is sent to enrolment and can use nothing else', async () => {
    const admin = await ctx.signIn('admin');
    // The checkbox on the Settings page, off by default.
    const settingsPage = await admin.agent.get('/settings').expect(200);
    expect(settingsPage.text).to.match(/<input id="f-admins_require_two_factor" name="admins_require_two_factor" type="checkbox" value="on"(?! checked)/);
    expect(settingsPage.text).to.contain('Admins must use two-factor sign-in');
    const form = Object.fromEntries(
      Object.entries(formFromSettings(await getSettings(ctx.deps.db))).filter(([, v]) => v !== false).map(([k, v]) => [k, v === true ? 'on' : String(v)]),
    );
    const saved = await admin.agent.post('/settings').type('form').send({ ...form, _csrf: admin.csrf, admins_require_two_factor: 'on' }).expect(303);
    expect(saved.headers.location).to.equal('/settings');
    expect((await getSettings(ctx.deps.db)).admins_require_two_factor).to.equal(true);
    const [changed] = await auditRows(ctx, 'settings.changed');
    expect(JSON.parse(changed.detail).changes).to.deep.equal({ admins_require_two_factor: { from: false, to: true } });

    // This admin has none: every page and form now leads to enrolment.
    for (const path of ['/settings', '/dashboard', '/users', '/account', '/audit', '/surveys', '/api-keys', '/account/two-factor']) {
      const res = await admin.agent.get(path).expect(303);
      expect(res.headers.location, path).to.equal('/account/two-factor/setup');
    }
    const post = await admin.agent.post('/settings').type('form').send({ ...form, _csrf: admin.csrf }).expect(303);
    expect(post.headers.location).to.equal('/account/two-factor/setup');
    expect((await getSettings(ctx.deps.db)).admins_require_two_factor).to.equal(true);
    const enrolment = await admin.agent.get('/account/two-factor/setup').expect(200);
    expect(enrolment.text).to.contain('Admins must use two-factor sign-in.');
    expect(enrolment.text).to.contain('Settings saved.');

    // Signing in again leads straight to enrolment.
    const again = supertest.agent(ctx.app);
    const csrf = await csrfFrom(again, '/login');
    const signIn = await again.post('/login').type('form').send({ email: 'admin@example.com', password: TEST_PASSWORD, _csrf: csrf }).expect(303);
    expect(signIn.headers.location).to.equal('/account/two-factor/setup');
    // Signing out works.
    const out = await again.post('/logout').type('form').send({ _csrf: await csrfFrom(again, '/account/two-factor/setup') }).expect(303);
    expect(out.headers.location).to.equal('/login');
    await again.get('/account/two-factor/setup').expect(303);

    // Others are not held: an editor and a viewer go on without.
    const editor = await ctx.signIn('editor');
    await editor.agent.get('/dashboard').expect(200);
    await editor.agent.get('/surveys').expect(200);

    // Once enrolled, the admin goes on.
    await enrol(ctx, admin.agent);
    await admin.agent.get('/settings').expect(200);
    await admin.agent.get('/users').expect(200);
  });

  it('an admin resets another user\'s second factor: off, recovery codes gone, their sessions ended; audited', async () => {
    const { agent: viewer, email, userId } = await ctx.signIn('viewer');
    await enrol(ctx, viewer);
    await viewer.get('/dashboard').expect(200);
    const admin = await ctx.signIn('admin');
    const users = await admin.agent.get('/users').expect(200);
    expect(users.text).to.contain(`action="/users/${userId}/two-factor/reset"`);
    // Not for oneself.
    const adminId = (await ctx.deps.db('users').where({ email: 'admin@example.com' }).first()).id;
    expect(users.text).not.to.contain(`action="/users/${adminId}/two-factor/reset"`);

    const res = await admin.agent.post(`/users/${userId}/two-factor/reset`).type('form').send({ _csrf: admin.csrf }).expect(303);
    expect(res.headers.location).to.equal('/users');
    expect((await admin.agent.get('/users').expect(200)).text).to.contain(`The second factor of ${email} is reset`);
    expect(await ctx.deps.db('user_second_factors').where({ user_id: userId }).first()).to.equal(undefined);
    expect(await ctx.deps.db('user_recovery_codes').where({ user_id: userId })).to.deep.equal([]);
    // Their session has ended.
    const gone = await viewer.get('/dashboard').expect(303);
    expect(gone.headers.location).to.equal('/login?next=%2Fdashboard');
    // They sign in with the password alone.
    const fresh = supertest.agent(ctx.app);
    const csrf = await csrfFrom(fresh, '/login');
    expect((await fresh.post('/login').type('form').send({ email, password: TEST_PASSWORD, _csrf: csrf }).expect(303)).headers.location).to.equal('/dashboard');

    const [reset] = await auditRows(ctx, 'auth.second_factor_reset');
    expect([reset.actor_label, reset.target_type, reset.target_id, reset.target_label]).to.deep.equal(['admin@example.com', 'user', String(userId), email]);
    // Only admins may.
    const editor = await ctx.signIn('editor');
    await editor.agent.post(`/users/${userId}/two-factor/reset`).type('form').send({ _csrf: editor.csrf }).expect(403);
  });

  it('secrets are sealed with a key from SESSION_SECRET: another key cannot open them, another user\'s row does not fit', () => {
    const key = secretKeyFrom('test-secret-test-secret-test-secret-0123');
    const sealed = sealSecret(key, 7, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    expect(openSecret(key, 7, sealed)).to.equal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    expect(openSecret(key, 8, sealed)).to.equal(null);
    expect(openSecret(secretKeyFrom('another-secret-another-secret-another-0'), 7, sealed)).to.equal(null);
    expect(sealed).not.to.contain('JBSWY3DP');
  });

  it('after SESSION_SECRET changed, TOTP codes cannot be checked (the page says so) but recovery codes still work', async () => {
    const { agent, email, userId } = await ctx.signIn('viewer');
    const { secret, codes } = await enrol(ctx, agent);
    // The row as another SESSION_SECRET would have sealed it.
    await ctx.deps.db('user_second_factors').where({ user_id: userId }).update({ secret: sealSecret(secretKeyFrom('another-secret-another-secret-another-0'), userId, secret) });
    ctx.clock.advance(30_000);
    const step = await passwordStep(ctx, email);
    const res = await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, code: await codeFor(ctx, secret) }).expect(401);
    expect(res.text).to.contain('Codes from your authenticator app cannot be checked');
    await step.agent.post('/login/code').type('form').send({ _csrf: step.csrf, recovery_code: codes[0] }).expect(303);
  });

  it('the settings checkbox is off by default and the setting is audited by name', async () => {
    expect((await getSettings(ctx.deps.db)).admins_require_two_factor).to.equal(false);
    await updateSettings(ctx.deps.db, { admins_require_two_factor: true });
    expect((await getSettings(ctx.deps.db)).admins_require_two_factor).to.equal(true);
  });
});
