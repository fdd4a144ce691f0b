import { expect } from 'chai';
import supertest from 'supertest';
import { linkTokenOf, signInAs } from '../helpers/accounts.ts';
import { csrfFrom, withTestContextPerTest } from '../helpers/context.ts';
import { captureLog, type CapturedLog } from '../helpers/log.ts';
import { withSmtpTestContext, type ReceivedMail, type SmtpReceiver } from '../helpers/smtp.ts';
import { createUser } from '../../server/auth/service.ts';
import { findUserByEmail } from '../../server/auth/queries.ts';
import { MINUTE } from '../../server/clock.ts';

/** The reset email goes out after the answer: wait (a bounded while) until `count` messages arrived. */
async function mailCount(smtp: SmtpReceiver, count: number): Promise<ReceivedMail[]> {
  for (let i = 0; i < 200 && smtp.messages.length < count; i++) await new Promise((r) => setTimeout(r, 25));
  expect(smtp.messages, 'messages received').to.have.length(count);
  return smtp.messages;
}

const formCsrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

describe('resetting a forgotten password by email', function () {
  const t = withSmtpTestContext();
  const password = 'old password 12';
  beforeEach(async () => {
    await createUser(t.ctx.deps.db, { email: 'Rita@Example.com', name: 'Rita', role: 'editor', password }, t.ctx.clock.now());
  });

  const askForReset = async (email: string, status = 200) => {
    const agent = supertest.agent(t.ctx.app);
    const csrf = await csrfFrom(agent, '/password/forgot');
    return agent.post('/password/forgot').type('form').send({ _csrf: csrf, email }).expect(status);
  };

  it('sends a link from the sign-in page; the new password works, the old one and the link no longer do', async () => {
    // Rita is signed in elsewhere; the reset signs that session out.
    const elsewhere = supertest.agent(t.ctx.app);
    const elsewhereCsrf = await csrfFrom(elsewhere, '/login');
    await elsewhere.post('/login').type('form').send({ _csrf: elsewhereCsrf, email: 'rita@example.com', password }).expect(303);
    await elsewhere.get('/dashboard').expect(200);

    const browser = supertest.agent(t.ctx.app);
    const login = await browser.get('/login').expect(200);
    expect(login.text).to.contain('<a href="/password/forgot">Forgot your password?</a>');
    const forgot = await browser.get('/password/forgot').expect(200);
    expect(forgot.text).to.contain('<label for="f-email">Email</label>');
    const sent = await browser.post('/password/forgot').type('form').send({ _csrf: formCsrf(forgot.text), email: 'rita@example.com' }).expect(200);
    expect(sent.text).to.contain('If an account exists for rita@example.com, we have sent it a link');

    const [mail] = await mailCount(t.smtp, 1);
    expect(mail.to.map((to) => to.toLowerCase())).to.deep.equal(['rita@example.com']);
    expect(mail.parsed.subject).to.equal('Reset your Touchpoint password');
    expect(mail.header('from')).to.contain('feedback@localhost');
    expect(mail.parsed.text).to.contain('1 hour (until 23 November 2026 at 11:00 UTC)');
    const token = linkTokenOf(mail);

    const page = await browser.get(`/password/set/${token}`).expect(200);
    expect(page.text).to.contain('Choose a new password');
    const done = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: formCsrf(page.text), password: 'new password 34', password_confirm: 'new password 34' }).expect(303);
    expect(done.headers.location).to.equal('/dashboard');
    expect((await browser.get('/dashboard').expect(200)).text).to.contain('Rita@Example.com');

    await elsewhere.get('/dashboard').expect(303);
    expect((await signInAs(t.ctx.app, 'rita@example.com', password)).status).to.equal(401);
    expect((await signInAs(t.ctx.app, 'rita@example.com', 'new password 34')).status).to.equal(303);

    const twice = await supertest(t.ctx.app).get(`/password/set/${token}`).expect(410);
    expect(twice.text).to.contain('This link has been used already');
    expect(twice.text).to.contain('<a href="/password/forgot">Ask for a new link</a>');
    const other = supertest.agent(t.ctx.app);
    const csrf = await csrfFrom(other, '/login');
    await other.post(`/password/set/${token}`).type('form').send({ _csrf: csrf, password: 'third password 5', password_confirm: 'third password 5' }).expect(410);
    expect((await signInAs(t.ctx.app, 'rita@example.com', 'new password 34')).status).to.equal(303);
  });

  it('a reset link expires after an hour, and a newer link retires the older one', async () => {
    await askForReset('rita@example.com');
    const first = linkTokenOf((await mailCount(t.smtp, 1))[0]);
    t.ctx.clock.advance(30 * MINUTE);
    await askForReset('RITA@example.com');
    const second = linkTokenOf((await mailCount(t.smtp, 2))[1]);
    await supertest(t.ctx.app).get(`/password/set/${first}`).expect(410);

    t.ctx.clock.advance(59 * MINUTE);
    const browser = supertest.agent(t.ctx.app);
    const page = await browser.get(`/password/set/${second}`).expect(200);
    t.ctx.clock.advance(MINUTE);
    const expired = await browser.get(`/password/set/${second}`).expect(410);
    expect(expired.text).to.contain('This link has expired');
    await browser.post(`/password/set/${second}`).type('form').send({ _csrf: formCsrf(page.text), password: 'new password 34', password_confirm: 'new password 34' }).expect(410);
    expect((await signInAs(t.ctx.app, 'rita@example.com', password)).status).to.equal(303);
  });

  it('answers the same for unknown and deactivated addresses, and sends them nothing', async () => {
    await createUser(t.ctx.deps.db, { email: 'dora@example.com', role: 'viewer', password }, t.ctx.clock.now());
    await t.ctx.deps.db('users').where({ email: 'dora@example.com' }).update({ deactivated_at: t.ctx.clock.now().toISOString() });

    const known = await askForReset('rita@example.com');
    await mailCount(t.smtp, 1);
    const unknown = await askForReset('nobody@example.com');
    const deactivated = await askForReset('dora@example.com');
    const body = (res: supertest.Response, email: string) => res.text.replace(/content="[^"]+"|value="[^"]+"/g, '').replaceAll(email, 'EMAIL');
    expect(body(unknown, 'nobody@example.com')).to.equal(body(known, 'rita@example.com'));
    expect(body(deactivated, 'dora@example.com')).to.equal(body(known, 'rita@example.com'));

    // One more request for a real account: its email arrives, and it is the only other one.
    await askForReset('rita@example.com');
    const all = await mailCount(t.smtp, 2);
    expect(all.map((m) => m.to.join().toLowerCase())).to.deep.equal(['rita@example.com', 'rita@example.com']);
    const dora = (await findUserByEmail(t.ctx.deps.db, 'dora@example.com'))!;
    expect(await t.ctx.deps.db('user_tokens').where({ user_id: dora.id }).select()).to.have.length(0);
  });

  it('sends one account at most three reset emails an hour, whoever asks; the fourth request is refused at once, saying when to try again', async () => {
    for (let i = 0; i < 3; i++) await askForReset('rita@example.com');
    const limited = await askForReset('rita@example.com', 429);
    expect(limited.headers['retry-after']).to.equal('3600');
    expect(limited.text).to.contain('Too many reset requests. Try again in 1 hour.');
    // The same for an address without an account: the refusal tells nothing about accounts.
    for (let i = 0; i < 3; i++) await askForReset('nobody@example.com');
    const unknown = await askForReset('nobody@example.com', 429);
    expect(unknown.headers['retry-after']).to.equal('3600');
    t.ctx.clock.advance(60 * MINUTE);
    await askForReset('rita@example.com');
    // The fourth request sent nothing; the fifth, an hour later, did.
    const all = await mailCount(t.smtp, 4);
    expect(all.map((m) => linkTokenOf(m))).to.have.length(4);
    const rita = (await findUserByEmail(t.ctx.deps.db, 'rita@example.com'))!;
    expect(await t.ctx.deps.db('user_tokens').where({ user_id: rita.id, purpose: 'reset' }).select()).to.have.length(4);
  });

  it('refuses bad input, unknown links, forms without CSRF, and too many requests', async () => {
    const bad = await askForReset('not-an-email', 422);
    expect(bad.text).to.match(/id="f-email-error"[^>]*>must be an email address/);
    expect(bad.text).to.contain('value="not-an-email"');
    await supertest(t.ctx.app).post('/password/forgot').type('form').send({ email: 'rita@example.com' }).expect(403);

    const unknown = await supertest(t.ctx.app).get(`/password/set/${'A'.repeat(43)}`).expect(404);
    expect(unknown.text).to.contain('This link is not valid');
    await supertest(t.ctx.app).get('/password/set/short').expect(404);
    await supertest(t.ctx.app).get(`/password/set/${'%00'.repeat(20)}`).expect(404);
    const agent = supertest.agent(t.ctx.app);
    const agentCsrf = await csrfFrom(agent, '/login');
    await agent.post(`/password/set/${'A'.repeat(43)}`).type('form').send({ _csrf: agentCsrf, password: 'new password 34', password_confirm: 'new password 34' }).expect(404);

    // One address may ask ten times an hour (the bad request above is not counted); the eleventh is refused at once.
    for (let i = 0; i < 10; i++) await askForReset(`someone${i}@example.com`);
    const limited = await askForReset('rita@example.com', 429);
    expect(limited.headers['retry-after']).to.equal('3600');
    expect(limited.text).to.contain('Too many reset requests. Try again in 1 hour.');
    await new Promise((r) => setTimeout(r, 100));
    expect(t.smtp.messages).to.have.length(0);
    // Another address is not held.
    const elsewhere = supertest.agent(t.ctx.app);
    const csrf = await csrfFrom(elsewhere, '/password/forgot');
    await elsewhere.post('/password/forgot').set('X-Forwarded-For', '198.51.100.23').type('form').send({ _csrf: csrf, email: 'rita@example.com' }).expect(200);
    await mailCount(t.smtp, 1);
  });
});

describe('resetting a forgotten password with no mail server (no SMTP_URL)', function () {
  let captured: CapturedLog;
  const password = 'old password 12';
  const ctx = withTestContextPerTest(() => {
    captured = captureLog();
    return { log: captured.log };
  });
  beforeEach(async () => {
    await createUser(ctx.deps.db, { email: 'Rita@Example.com', name: 'Rita', role: 'editor', password }, ctx.clock.now());
  });

  const askForReset = async (email: string, status = 200) => {
    const agent = supertest.agent(ctx.app);
    const csrf = await csrfFrom(agent, '/password/forgot');
    return agent.post('/password/forgot').type('form').send({ _csrf: csrf, email }).expect(status);
  };
  const loggedTokens = () => captured.matching(/password reset link for/).map((line) => /\/password\/set\/([A-Za-z0-9_-]{43})$/.exec(line.msg)![1]);

  it('says on the forms that links go to the server log, writes the link there (not to the mailbox), and the link works', async () => {
    const forgot = await supertest(ctx.app).get('/password/forgot').expect(200);
    expect(forgot.text).to.contain('no mail server set up, so the link is not emailed');
    const sent = await askForReset('rita@example.com');
    expect(sent.text).to.contain('<h1 id="sent-title">Ask the admin for your link</h1>');
    expect(sent.text).to.contain('If an account exists for rita@example.com, a link to choose a new password was made for it.');
    expect(sent.text).not.to.contain('we have sent it a link');

    const line = await captured.waitFor(/password reset link for Rita@Example\.com/);
    expect(line).to.include({ purpose: 'reset', to: 'Rita@Example.com' });
    const [token] = loggedTokens();
    expect(await ctx.deps.db('mailbox_messages').select()).to.deep.equal([]);

    const browser = supertest.agent(ctx.app);
    const page = await browser.get(`/password/set/${token}`).expect(200);
    await browser.post(`/password/set/${token}`).type('form').send({ _csrf: formCsrf(page.text), password: 'new password 34', password_confirm: 'new password 34' }).expect(303);
    expect((await signInAs(ctx.app, 'rita@example.com', 'new password 34')).status).to.equal(303);
    expect((await signInAs(ctx.app, 'rita@example.com', password)).status).to.equal(401);
  });

  it('keeps the limit of three links an hour per account, and writes none for unknown addresses', async () => {
    for (let i = 0; i < 3; i++) await askForReset('rita@example.com');
    await askForReset('rita@example.com', 429);
    await askForReset('nobody@example.com');
    await captured.waitForCount(/unknown or deactivated address, or too often/, 1);
    await captured.waitForCount(/password reset link for/, 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(captured.matching(/unknown or deactivated address, or too often/)).to.have.length(1);
    expect(loggedTokens()).to.have.length(3);
    expect(new Set(loggedTokens()).size).to.equal(3);
    expect(captured.matching(/nobody@example\.com/)).to.have.length(0);
    expect(await ctx.deps.db('mailbox_messages').select()).to.deep.equal([]);
  });
});
