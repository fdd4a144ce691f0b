import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, withTestContextPerTest } from '../helpers/context.ts';
import { captureLog, type CapturedLog } from '../helpers/log.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { answerTables } from '../helpers/answer-tables.ts';
import { runOnce } from '../../server/sending/worker.ts';

const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

describe('development mailbox (no SMTP_URL)', () => {
  const ctx = withTestContextPerTest();

  it('stores sent mail as delivered and shows it to admins with inert links: list, headers, text part and a sandboxed HTML part', async () => {
    expect(ctx.deps.mail.kind).to.equal('mailbox');
    const first = await seedInvitation(ctx, { locale: 'en' });
    const second = await seedInvitation(ctx, { locale: 'de' });
    const result = await runOnce(ctx.deps);
    expect(result.sent).to.have.members([first.invitationId, second.invitationId]);

    // The stored row is the email as delivered (the mailbox plays the mail server): live links.
    const stored = await ctx.deps.db('mailbox_messages').orderBy('id');
    expect(stored).to.have.length(2);
    const row = stored.find((m) => m.to === first.email);
    expect(row.message_id).to.equal(`<invitation-${first.invitationId}@127.0.0.1>`);
    expect(JSON.parse(row.headers)['List-Unsubscribe']).to.equal(`<http://127.0.0.1:3000/u/${first.token}>`);
    expect(row.html).to.contain(`/r/${first.token}?score=7`);
    const invitation = await ctx.deps.db('invitations').where({ id: first.invitationId }).first();
    expect(invitation.state).to.equal('sent');

    const { agent } = await ctx.signIn('admin');
    const list = await agent.get('/mailbox').expect(200);
    expect(list.text).to.contain(first.email);
    expect(list.text).to.contain(second.email);
    expect(list.text).to.contain('A quick question from Touchpoint');
    expect(list.text).to.contain('Eine kurze Frage von Touchpoint');
    // Newest first.
    expect(list.text.indexOf(`/mailbox/${stored[1].id}"`)).to.be.lessThan(list.text.indexOf(`/mailbox/${stored[0].id}"`));

    // What staff see carries the placeholder token, never the customer's.
    const show = await agent.get(`/mailbox/${row.id}`).expect(200);
    expect(show.text).to.contain('List-Unsubscribe-Post');
    expect(unescape(show.text)).to.contain('http://127.0.0.1:3000/r/preview-token?score=7');
    expect(show.text).to.contain('&lt;http://127.0.0.1:3000/u/preview-token&gt;');
    expect(show.text).not.to.contain(first.token);
    // Sandboxed: no scripts, no forms, an opaque origin; only its links may open the real page in a new tab.
    expect(show.text).to.match(/<iframe[^>]*src="\/mailbox\/\d+\/html"[^>]*sandbox="allow-popups allow-popups-to-escape-sandbox"/);
    // The HTML part is not inlined into the page.
    expect(show.text).not.to.contain('tp-card');

    const html = await agent.get(`/mailbox/${row.id}/html`).expect(200);
    expect(html.headers['content-security-policy']).to.match(/^sandbox allow-popups allow-popups-to-escape-sandbox;/);
    expect(html.headers['content-security-policy']).not.to.match(/allow-scripts|allow-same-origin|allow-forms/);
    expect(html.headers['content-type']).to.match(/^text\/html/);
    expect(html.text).to.contain('/r/preview-token/t');
    expect(unescape(html.text)).to.contain('/r/preview-token?score=0');
    expect(html.text).to.contain('/u/preview-token');
    expect(html.text).not.to.contain(first.token);
    // Every link of the email is still there, made inert: as many as in the delivered email.
    expect(html.text.match(/preview-token/g)?.length).to.equal(row.html.split(first.token).length - 1);

    const text = await agent.get(`/mailbox/${row.id}/text`).expect(200);
    expect(text.headers['content-type']).to.match(/^text\/plain/);
    expect(text.text).to.contain('/r/preview-token?score=0');
    expect(text.text).to.contain('/u/preview-token');
    expect(text.text).not.to.contain(first.token);

    // JSON asked for: still no token anywhere an admin can read.
    for (const path of [`/mailbox/${row.id}`, `/mailbox/${row.id}/html`, `/mailbox/${row.id}/text`, '/mailbox']) {
      const res = await agent.get(path).set('Accept', 'application/json');
      expect(res.text, path).not.to.contain(first.token);
      expect(res.text, path).not.to.contain(second.token);
    }

    await agent.get('/mailbox/999999').expect(404);
    await agent.get('/mailbox/abc').expect(404);
  });

  it('the placeholder token answers nothing: /r/preview-token is 404 and stores nothing, its trap and unsubscribe links neither', async () => {
    const seeded = await seedInvitation(ctx, {});
    await runOnce(ctx.deps);
    const before = await answerTables(ctx.deps.db);
    const http = supertest(ctx.app);
    await http.get('/r/preview-token?score=5').expect(404);
    await http.get('/r/preview-token').expect(404);
    await http.head('/r/preview-token?score=5').expect(404);
    await http.post('/r/preview-token').type('form').send({ score: '5', comment: 'from a staff page', trigger: 'click', input: 'pointer' }).expect(404);
    await http.get('/r/preview-token/t');
    await http.get('/u/preview-token').expect(404);
    await http.post('/u/preview-token').type('form').send({ 'List-Unsubscribe': 'One-Click' }).expect(404);
    expect(await answerTables(ctx.deps.db), 'nothing stored').to.deep.equal(before);
    // The customer's own link still works.
    await http.get(`/r/${seeded.token}?score=5`).expect(200);
  });

  it('is closed to editors and viewers (403) and to people not signed in; the navigation shows it to admins only', async () => {
    const seeded = await seedInvitation(ctx, {});
    await runOnce(ctx.deps);
    const id = (await ctx.deps.db('mailbox_messages').first('id')).id;
    for (const role of ['viewer', 'editor'] as const) {
      const { agent } = await ctx.signIn(role);
      for (const path of ['/mailbox', `/mailbox/${id}`, `/mailbox/${id}/html`, `/mailbox/${id}/text`]) {
        const res = await agent.get(path);
        expect(res.status, `${role} ${path}`).to.equal(403);
        expect(res.text, path).not.to.contain(seeded.email);
        expect(res.text, path).not.to.contain(seeded.token);
      }
      expect((await agent.get('/account').expect(200)).text, role).not.to.contain('href="/mailbox"');
    }
    const admin = await ctx.signIn('admin');
    expect((await admin.agent.get('/account').expect(200)).text).to.contain('href="/mailbox"');
    const anonymous = await supertest(ctx.app).get('/mailbox');
    expect(anonymous.status).to.equal(303);
    expect(anonymous.headers.location).to.match(/^\/login/);
  });
});

describe('the mailbox carries no keys: an editor cannot become admin through it (no SMTP_URL)', () => {
  let captured: CapturedLog;
  const ctx = withTestContextPerTest(() => {
    captured = captureLog();
    return { log: captured.log };
  });

  const askForReset = async (email: string) => {
    const browser = supertest.agent(ctx.app);
    const csrf = await csrfFrom(browser, '/password/forgot');
    return browser.post('/password/forgot').type('form').send({ _csrf: csrf, email }).expect(200);
  };

  it('a reset asked for the admin while signed out lands in the server log, not in the mailbox the editor cannot read anyway', async () => {
    expect(ctx.deps.mail.kind).to.equal('mailbox');
    // Mail to customers still lands in the mailbox.
    const seeded = await seedInvitation(ctx, {});
    await runOnce(ctx.deps);

    // The attacker, signed out, asks for the admin's reset; the page tells where links go, not whether the account exists.
    const asked = await askForReset('admin@example.com');
    expect(asked.text).to.contain("it was written to the server's log");
    const link = await captured.waitFor(/password reset link for admin@example\.com/);
    expect(link.level).to.equal(30);
    expect(link.msg).to.match(/^no mail server is set \(SMTP_URL\): password reset link for admin@example\.com: http:\/\/127\.0\.0\.1:3000\/password\/set\/[A-Za-z0-9_-]{43}$/);
    const token = /\/password\/set\/([A-Za-z0-9_-]{43})$/.exec(link.msg)![1];
    expect(link.link).to.equal(`http://127.0.0.1:3000/password/set/${token}`);
    expect(link.to).to.equal('admin@example.com');

    // The editor finds no mailbox to read.
    const editor = await ctx.signIn('editor');
    const refused = await editor.agent.get('/mailbox');
    expect(refused.status).to.equal(403);
    expect(refused.text).not.to.contain(token);
    await editor.agent.get('/users').expect(403);

    // And the mailbox holds no key: no reset email, no set-password link in any message.
    const messages = await ctx.deps.db('mailbox_messages').select();
    expect(messages.map((m) => m.to)).to.deep.equal([seeded.email]);
    for (const m of messages) {
      expect(`${m.subject} ${m.html} ${m.text} ${m.headers}`).not.to.match(/\/password\/|Reset your Touchpoint password/);
      expect(`${m.html} ${m.text}`).not.to.contain(token);
    }
    const admin = await ctx.signIn('admin');
    const list = await admin.agent.get('/mailbox').expect(200);
    expect(list.text).not.to.contain('Reset your Touchpoint password');
    expect(list.text).to.contain(seeded.email);

    // The link from the log works (for the admin at the console, who can pass it on).
    const page = await supertest(ctx.app).get(`/password/set/${token}`).expect(200);
    expect(page.text).to.contain('Choose a new password');
  });

  it('the reset page says the same for an account and for no account; only an account gets a link in the log', async () => {
    const known = await askForReset('admin@example.com');
    await captured.waitFor(/password reset link for admin@example\.com/);
    const unknown = await askForReset('nobody@example.com');
    await captured.waitFor(/password reset asked for an unknown/);
    const body = (res: supertest.Response, email: string) => res.text.replace(/content="[^"]+"|value="[^"]+"/g, '').replaceAll(email, 'EMAIL');
    expect(body(unknown, 'nobody@example.com')).to.equal(body(known, 'admin@example.com'));
    expect(captured.matching(/nobody@example\.com/)).to.have.length(0);
    expect(captured.matching(/\/password\/set\//)).to.have.length(1);
    expect(await ctx.deps.db('mailbox_messages').count({ n: '*' }).first()).to.satisfy((row: { n: unknown }) => Number(row.n) === 0);
  });
});
