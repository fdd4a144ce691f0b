import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, TEST_PASSWORD, type TestContext, withTestContextPerTest } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { DAY, MINUTE } from '../../server/clock.ts';
import { issuePasswordLink } from '../../server/auth/links.ts';

/** The session id a response sets, if any. */
const sidOf = (res: supertest.Response): string | undefined => /tp\.sid=([^;]+)/.exec(String(res.headers['set-cookie'] ?? ''))?.[1];
const sessionRows = async (ctx: TestContext) => Number((await ctx.deps.db('sessions').count({ n: '*' }).first())?.n ?? 0);

/** Signs in `email` in a fresh browser; returns the agent, its CSRF token and its session id. */
async function browserFor(ctx: TestContext, email: string, password = TEST_PASSWORD) {
  const agent = supertest.agent(ctx.app);
  const csrf = await csrfFrom(agent, '/login');
  const res = await agent.post('/login').type('form').send({ email, password, _csrf: csrf }).expect(303);
  return { agent, sid: sidOf(res)!, csrf: await csrfFrom(agent, '/account') };
}

describe('sessions', () => {
  const ctx = withTestContextPerTest();

  it('signed-out pages store no session: 20 cookie-less GET /login make no row', async () => {
    // One signed-in session, so the table exists and has a row to compare with.
    await ctx.signIn('admin');
    const before = await sessionRows(ctx);
    expect(before).to.equal(1);
    const answers: supertest.Response[] = [];
    for (let i = 0; i < 20; i++) answers.push(await supertest(ctx.app).get('/login').expect(200));
    for (const path of ['/password/forgot', '/', '/dashboard', '/account', '/no-such-page', `/password/set/${'A'.repeat(43)}`]) {
      answers.push(await supertest(ctx.app).get(path));
    }
    // A failed sign-in stores nothing either.
    const agent = supertest.agent(ctx.app);
    const token = await csrfFrom(agent, '/login');
    answers.push(await agent.post('/login').type('form').send({ email: 'admin@example.com', password: 'not the password', _csrf: token }).expect(401));
    expect(answers.map(sidOf).filter(Boolean), 'no session cookie').to.deep.equal([]);
    expect(await sessionRows(ctx)).to.equal(before);
    // The sign-in form is still protected against cross-site posts: without the token, or with another browser's, 403.
    await supertest(ctx.app).post('/login').type('form').send({ email: 'admin@example.com', password: TEST_PASSWORD }).expect(403);
    const other = await csrfFrom(supertest.agent(ctx.app), '/login');
    await supertest.agent(ctx.app).post('/login').type('form').send({ email: 'admin@example.com', password: TEST_PASSWORD, _csrf: other }).expect(403);
  });

  it('the session id changes at sign-in', async () => {
    const first = await browserFor(ctx, 'admin@example.com');
    // The same browser signs in again: a new id, and the old one is gone.
    const again = await first.agent.post('/login').type('form').send({ email: 'admin@example.com', password: TEST_PASSWORD, _csrf: first.csrf }).expect(303);
    const second = sidOf(again);
    expect(second).to.be.a('string').and.not.equal(first.sid);
    await supertest(ctx.app).get('/account').set('Cookie', `tp.sid=${first.sid}`).expect(303);
    await first.agent.get('/account').expect(200);
  });

  it('a password change signs out every other browser and keeps this one, under a new id', async () => {
    const { email } = await ctx.signIn('viewer');
    const mine = await browserFor(ctx, email);
    const other = await browserFor(ctx, email);
    await other.agent.get('/account').expect(200);
    const res = await mine.agent.post('/account/password').type('form')
      .send({ _csrf: mine.csrf, current_password: TEST_PASSWORD, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' })
      .expect(303);
    const rotated = sidOf(res);
    expect(rotated, 'a new session id').to.be.a('string').and.not.equal(mine.sid);
    const page = await mine.agent.get('/account').expect(200);
    expect(page.text).to.contain('Your password is changed. Your other sessions are signed out.');
    const gone = await other.agent.get('/account').expect(303);
    expect(gone.headers.location).to.equal('/login?next=%2Faccount');
    await supertest(ctx.app).get('/account').set('Cookie', `tp.sid=${mine.sid}`).expect(303);
    // The signed-out browser signs in with the new password.
    await browserFor(ctx, email, 'fresh lemon harbour');
  });

  it('deactivation ends a session at once; reactivation does not bring it back, even if its row were still stored', async () => {
    const admin = await ctx.signIn('admin');
    const { email, userId } = await ctx.signIn('viewer');
    const viewer = await browserFor(ctx, email);
    await viewer.agent.get('/account').expect(200);
    const kept = await ctx.deps.db('sessions').where({ sid: decodeURIComponent(viewer.sid).replace(/^s:/, '').split('.')[0] }).first();
    expect(kept, 'the stored session row').to.not.equal(undefined);

    await admin.agent.post(`/users/${userId}/deactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
    await admin.agent.post(`/users/${userId}/reactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
    // The row as it was before (a store that missed the delete): the session epoch still ends it.
    await ctx.deps.db('sessions').insert(kept).onConflict('sid').merge();
    const res = await viewer.agent.get('/account').expect(303);
    expect(res.headers.location).to.equal('/login?next=%2Faccount');
    // The user signs in again with their password.
    await browserFor(ctx, email);
  });

  it('deactivation signs a user out at their very next request', async () => {
    const admin = await ctx.signIn('admin');
    const viewer = await ctx.signIn('viewer');
    await viewer.agent.get('/dashboard').expect(200);
    await admin.agent.post(`/users/${viewer.userId}/deactivate`).type('form').send({ _csrf: admin.csrf }).expect(303);
    await viewer.agent.get('/dashboard').expect(303);
    // Its forms no longer work either (their token belonged to the ended session).
    const post = await viewer.agent.post('/account/language').type('form').send({ _csrf: viewer.csrf, locale: 'de' });
    expect(post.status).to.be.oneOf([401, 403]);
    expect((await ctx.deps.db('users').where({ id: viewer.userId }).first()).locale).to.equal('en');
  });

  it('a session ends after its absolute lifetime (7 days), however active it was', async () => {
    const { agent } = await ctx.signIn('viewer');
    for (let day = 1; day <= 6; day++) {
      ctx.clock.advance(DAY);
      await agent.get('/account').expect(200);
    }
    ctx.clock.advance(DAY - MINUTE - 1);
    await agent.get('/account').expect(200);
    ctx.clock.advance(MINUTE + 1);
    const res = await agent.get('/account').expect(303);
    expect(res.headers.location).to.equal('/login?next=%2Faccount');
    // Its row is gone, and no empty one took its place.
    expect(sidOf(res), 'no new session cookie').to.equal(undefined);
    const stored = await ctx.deps.db('sessions').select('sess');
    expect(stored, 'no session stored: the ended one went, and no empty one came').to.deep.equal([]);
    // Signing in again starts a new lifetime.
    const email = (await ctx.deps.db('users').where({ role: 'viewer' }).first()).email;
    const csrf = await csrfFrom(agent, '/login');
    await agent.post('/login').type('form').send({ email, password: TEST_PASSWORD, _csrf: csrf }).expect(303);
    await agent.get('/account').expect(200);
  });

  it('a browser whose session has just ended can sign out, sign in and use a reset link with the forms it shows', async () => {
    const { agent, csrf, email, userId } = await ctx.signIn('viewer');
    ctx.clock.advance(8 * DAY);
    // Signing out of an ended session: fine, and nothing stored.
    await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(303);
    expect(await sessionRows(ctx)).to.equal(0);

    const again = await browserFor(ctx, email);
    ctx.clock.advance(8 * DAY);
    // The form of the ended session signs in anew (its token was the session's own).
    const res = await again.agent.post('/login').type('form').send({ email, password: TEST_PASSWORD, _csrf: again.csrf }).expect(303);
    expect(sidOf(res)).to.be.a('string');
    await again.agent.get('/account').expect(200);

    // A reset link used from a browser whose session just ended.
    const third = await browserFor(ctx, email);
    ctx.clock.advance(8 * DAY);
    const { token } = await issuePasswordLink(ctx.deps.db, userId, 'reset', ctx.clock.now());
    const done = await third.agent.post(`/password/set/${token}`).type('form').send({ _csrf: third.csrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(303);
    expect(done.headers.location).to.equal('/dashboard');
    expect((await third.agent.get('/dashboard').expect(200)).text).to.contain('Your password is set. You are signed in.');
  });

  it("a role change gives the user's session a new id at their next request", async () => {
    const admin = await ctx.signIn('admin');
    const { email, userId } = await ctx.signIn('editor');
    const editor = await browserFor(ctx, email);
    await admin.agent.post(`/users/${userId}/role`).type('form').send({ _csrf: admin.csrf, role: 'viewer' }).expect(303);
    const next = await editor.agent.get('/account').expect(200);
    expect(next.text).to.contain('(viewer)');
    const rotated = sidOf(next);
    expect(rotated, 'a new session id').to.be.a('string').and.not.equal(editor.sid);
    await supertest(ctx.app).get('/account').set('Cookie', `tp.sid=${editor.sid}`).expect(303);
    await editor.agent.get('/api-keys').expect(403);
    // The session goes on, and its forms still work.
    await editor.agent.post('/account/language').type('form').send({ _csrf: editor.csrf, locale: 'de' }).expect(303);
  });

  it('signed-in pages, and customer pages with personal data, are never cached', async () => {
    const { agent } = await ctx.signIn('admin');
    const { token, customerId } = await seedInvitation(ctx, { state: 'sent' });
    const customer = await ctx.deps.db('customers').where({ id: customerId }).first();
    const [message] = await ctx.deps.db('mailbox_messages')
      .insert({ message_id: '<m@test>', from: 'a@example.com', to: customer.email, subject: 'Hello', html: '<p>Hi</p>', text: 'Hi', headers: '{}', created_at: ctx.clock.now().toISOString() })
      .returning('id');
    const messageId = typeof message === 'object' ? message.id : message;
    for (const path of ['/dashboard', '/account', '/users', '/settings', '/mailbox', `/mailbox/${messageId}`, '/customers', `/customers/${encodeURIComponent(customer.external_id)}`, '/no-such-page']) {
      const res = await agent.get(path);
      expect(res.status, path).to.be.oneOf([200, 404]);
      if (path !== '/no-such-page') expect(res.status, path).to.equal(200);
      expect(res.headers['cache-control'], path).to.contain('no-store');
    }
    // The customer's own survey page shows their answer and email: not cached either.
    const survey = await supertest(ctx.app).get(`/r/${token}`).expect(200);
    expect(survey.headers['cache-control']).to.contain('no-store');
  });
});
