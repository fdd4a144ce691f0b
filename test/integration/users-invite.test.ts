import { expect } from 'chai';
import supertest from 'supertest';
import { linkTokenOf, signInAs } from '../helpers/accounts.ts';
import { withSmtpTestContext } from '../helpers/smtp.ts';
import { withTestContextPerTest } from '../helpers/context.ts';
import { captureLog, type CapturedLog } from '../helpers/log.ts';
import { findUserByEmail } from '../../server/auth/queries.ts';
import { hashToken } from '../../server/tokens.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { DAY, MINUTE } from '../../server/clock.ts';

describe('inviting users by email', function () {
  const t = withSmtpTestContext();

  const invite = (agent: supertest.Agent, csrf: string, email: string, role = 'editor') =>
    agent.post('/users').type('form').send({ _csrf: csrf, email, name: 'Nia New', role, access: 'invite', password: '' });

  it('invites through the form; the link sets the password, signs the user in, and works once', async () => {
    const { agent } = await t.ctx.signIn('admin');
    const form = await agent.get('/users/new').expect(200);
    expect(form.text).to.match(/<input id="f-access-invite" name="access" type="radio" value="invite" checked/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];

    const res = await invite(agent, csrf, 'Nia@Example.com').expect(303);
    expect(res.headers.location).to.equal('/users');
    const nia = (await findUserByEmail(t.ctx.deps.db, 'nia@example.com'))!;
    expect(nia.role).to.equal('editor');
    expect(nia.password_hash).to.equal(null);

    const list = await agent.get('/users').expect(200);
    expect(list.text).to.contain('An invitation is on its way to Nia@Example.com (editor)');
    expect(list.text).to.contain('<span class="status">Invited</span>');
    expect(list.text).to.contain(`action="/users/${nia.id}/invite"`);

    expect(t.smtp.messages).to.have.length(1);
    const mail = t.smtp.messages[0];
    expect(mail.to.map((to) => to.toLowerCase())).to.deep.equal(['nia@example.com']);
    expect(mail.header('from')).to.contain('feedback@localhost');
    expect(mail.parsed.subject).to.equal('You are invited to Touchpoint');
    expect(mail.parsed.text).to.contain('Hello Nia New,');
    expect(mail.parsed.text).to.contain('7 days (until 30 November 2026 at 10:00 UTC)');
    const token = linkTokenOf(mail);

    // Only the hash is stored.
    const row = await t.ctx.deps.db('user_tokens').where({ user_id: nia.id }).first();
    expect(row.token_hash).to.equal(hashToken(token));
    expect(row.purpose).to.equal('invite');
    expect(JSON.stringify(await t.ctx.deps.db('user_tokens').select())).to.not.contain(token);

    // Nobody signs in as an invited user before they chose a password.
    expect((await signInAs(t.ctx.app, 'nia@example.com', '')).status).to.equal(401);

    const browser = supertest.agent(t.ctx.app);
    const page = await browser.get(`/password/set/${token}`).expect(200);
    expect(page.text).to.contain('Choose your password');
    expect(page.text).to.contain('<strong>Nia@Example.com</strong>');
    const pageCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];

    const short = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: pageCsrf, password: 'short', password_confirm: 'short' }).expect(422);
    expect(short.text).to.match(/id="f-password-error"[^>]*>The password must be at least 12 characters long\./);
    const mismatch = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: pageCsrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbor' }).expect(422);
    expect(mismatch.text).to.match(/id="f-password_confirm-error"[^>]*>does not match/);
    await browser.post(`/password/set/${token}`).type('form').send({ password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(403);
    expect((await findUserByEmail(t.ctx.deps.db, 'nia@example.com'))!.password_hash).to.equal(null);

    const done = await browser.post(`/password/set/${token}`).type('form').send({ _csrf: pageCsrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(303);
    expect(done.headers.location).to.equal('/dashboard');
    const dashboard = await browser.get('/dashboard').expect(200);
    expect(dashboard.text).to.contain('Nia@Example.com');
    expect(dashboard.text).to.contain('Your password is set.');

    expect((await signInAs(t.ctx.app, 'nia@example.com', 'fresh lemon harbour')).status).to.equal(303);
    const again = await supertest(t.ctx.app).get(`/password/set/${token}`).expect(410);
    expect(again.text).to.contain('This link has been used already');
    const list2 = await agent.get('/users').expect(200);
    expect(list2.text).to.not.contain(`action="/users/${nia.id}/invite"`);
  });

  it('uses the sender from the settings, resends with a new link that retires the old one, and refuses bad input', async () => {
    await updateSettings(t.ctx.deps.db, { sender_name: 'Acme Feedback', sender_address: 'hello@acme.example' });
    const { agent, csrf } = await t.ctx.signIn('admin');
    await invite(agent, csrf, 'rae@example.com', 'viewer').expect(303);
    const rae = (await findUserByEmail(t.ctx.deps.db, 'rae@example.com'))!;
    expect(t.smtp.messages[0].header('from')).to.match(/Acme Feedback"? <hello@acme\.example>/);
    const first = linkTokenOf(t.smtp.messages[0]);

    await agent.post(`/users/${rae.id}/invite`).type('form').send({ _csrf: csrf }).expect(303);
    expect(t.smtp.messages).to.have.length(2);
    const second = linkTokenOf(t.smtp.messages[1]);
    expect(second).to.not.equal(first);
    expect((await agent.get('/users')).text).to.contain('A new invitation is on its way to rae@example.com');
    await supertest(t.ctx.app).get(`/password/set/${first}`).expect(410);
    await supertest(t.ctx.app).get(`/password/set/${second}`).expect(200);

    // Not for people who have a password, nor for unknown users, nor without CSRF, nor by non-admins.
    const me = (await findUserByEmail(t.ctx.deps.db, 'admin@example.com'))!;
    const conflict = await agent.post(`/users/${me.id}/invite`).type('form').send({ _csrf: csrf }).expect(409);
    expect(conflict.text).to.contain('has chosen a password already');
    await agent.post('/users/999999/invite').type('form').send({ _csrf: csrf }).expect(404);
    await agent.post(`/users/${rae.id}/invite`).type('form').send({}).expect(403);
    const editor = await t.ctx.signIn('editor');
    await editor.agent.post(`/users/${rae.id}/invite`).type('form').send({ _csrf: editor.csrf }).expect(403);
    expect(t.smtp.messages).to.have.length(2);

    const bad = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'nope', role: 'owner', access: 'invite' }).expect(422);
    expect(bad.text).to.match(/id="f-email-error"[^>]*>must be an email address/);
    expect(bad.text).to.match(/id="f-role-error"[^>]*>must be admin, editor or viewer/);
    expect(bad.text).to.match(/id="f-access-invite"[^>]*checked/);
    const taken = await invite(agent, csrf, 'RAE@example.com').expect(409);
    expect(taken.text).to.match(/id="f-email-error"[^>]*>is already taken/);
    expect(t.smtp.messages).to.have.length(2);
  });

  it('an invitation expires after 7 days, and stops working when the user is deactivated', async () => {
    const { agent, csrf } = await t.ctx.signIn('admin');
    await invite(agent, csrf, 'old@example.com').expect(303);
    await invite(agent, csrf, 'gone@example.com').expect(303);
    const [oldToken, goneToken] = t.smtp.messages.map(linkTokenOf);

    const gone = (await findUserByEmail(t.ctx.deps.db, 'gone@example.com'))!;
    await agent.post(`/users/${gone.id}/deactivate`).type('form').send({ _csrf: csrf }).expect(303);
    const deactivated = await supertest(t.ctx.app).get(`/password/set/${goneToken}`).expect(410);
    expect(deactivated.text).to.contain('This account is deactivated');
    const refused = await agent.post(`/users/${gone.id}/invite`).type('form').send({ _csrf: csrf }).expect(409);
    expect(refused.text).to.contain('is deactivated');

    t.ctx.clock.advance(7 * DAY - MINUTE);
    await supertest(t.ctx.app).get(`/password/set/${oldToken}`).expect(200);
    t.ctx.clock.advance(MINUTE);
    const expired = await supertest(t.ctx.app).get(`/password/set/${oldToken}`).expect(410);
    expect(expired.text).to.contain('This link has expired');
    expect(expired.text).to.contain('Ask an admin of Touchpoint to send you the invitation again');
  });

  it('still adds a user with a password set by the admin', async () => {
    const { agent, csrf } = await t.ctx.signIn('admin');
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'pat@example.com', role: 'viewer', access: 'password', password: 'initial password 1' }).expect(303);
    expect(t.smtp.messages).to.have.length(0);
    expect((await signInAs(t.ctx.app, 'pat@example.com', 'initial password 1')).status).to.equal(303);
    const short = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'sam@example.com', role: 'viewer', access: 'password', password: '' }).expect(422);
    expect(short.text).to.match(/id="f-password-error"[^>]*>The password must be at least 12 characters long\./);
  });

  it('tells the admin when the invitation email could not be sent', async () => {
    const { agent, csrf } = await t.ctx.signIn('admin');
    t.smtp.refuse('bounce@example.com', 550);
    try {
      await invite(agent, csrf, 'bounce@example.com').expect(303);
    } finally {
      t.smtp.accept('bounce@example.com');
    }
    const list = await agent.get('/users').expect(200);
    expect(list.text).to.contain('but the invitation email could not be sent');
    expect(list.text).to.contain('<span class="status">Invited</span>');
  });
});

describe('inviting users with no mail server (no SMTP_URL)', function () {
  let captured: CapturedLog;
  const ctx = withTestContextPerTest(() => {
    captured = captureLog();
    return { log: captured.log };
  });

  const loggedToken = (line: { msg: string }) => /\/password\/set\/([A-Za-z0-9_-]{43})$/.exec(line.msg)![1];

  it('writes the invitation link to the server log, not to the mailbox, and the Users page says so', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const form = await agent.get('/users/new').expect(200);
    expect(form.text).to.contain('No mail server is set (<code>SMTP_URL</code>), so the link is not emailed');
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'Nia@Example.com', name: 'Nia New', role: 'editor', access: 'invite', password: '' }).expect(303);
    const list = await agent.get('/users').expect(200);
    expect(list.text).to.contain('Nia@Example.com is added as editor. No mail server is set (SMTP_URL), so the invitation link for Nia@Example.com was not emailed: it was written to the server log.');
    expect(list.text).not.to.contain('An invitation is on its way');
    expect(list.text).to.contain('<span class="status">Invited</span>');

    const [line] = captured.matching(/invitation link for Nia@Example\.com/);
    expect(line.level).to.equal(30);
    expect(line.msg).to.match(/^no mail server is set \(SMTP_URL\): invitation link for Nia@Example\.com: http:\/\/127\.0\.0\.1:3000\/password\/set\/[A-Za-z0-9_-]{43}$/);
    expect(line).to.include({ purpose: 'invite', to: 'Nia@Example.com' });
    const first = loggedToken(line);
    expect(await ctx.deps.db('mailbox_messages').select()).to.deep.equal([]);

    // Sent again: a new link in the log, the older one retired; still nothing in the mailbox.
    const nia = (await findUserByEmail(ctx.deps.db, 'nia@example.com'))!;
    await agent.post(`/users/${nia.id}/invite`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await agent.get('/users')).text).to.contain('A new invitation link for Nia@Example.com is made; earlier links no longer work. No mail server is set');
    const lines = captured.matching(/invitation link for Nia@Example\.com/);
    expect(lines).to.have.length(2);
    const second = loggedToken(lines[1]);
    expect(second).to.not.equal(first);
    await supertest(ctx.app).get(`/password/set/${first}`).expect(410);
    expect(await ctx.deps.db('mailbox_messages').select()).to.deep.equal([]);

    // The link works: Nia chooses her password and is signed in.
    const browser = supertest.agent(ctx.app);
    const page = await browser.get(`/password/set/${second}`).expect(200);
    expect(page.text).to.contain('Choose your password');
    const pageCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    await browser.post(`/password/set/${second}`).type('form').send({ _csrf: pageCsrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(303);
    expect((await signInAs(ctx.app, 'nia@example.com', 'fresh lemon harbour')).status).to.equal(303);
  });
});
