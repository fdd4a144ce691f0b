import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, withTestContextPerTest } from '../helpers/context.ts';
import { findUserByEmail } from '../../server/auth/queries.ts';

/** The session id a response sets, if any. */
const sidOf = (res: supertest.Response): string | undefined => /tp\.sid=([^;]+)/.exec(String(res.headers['set-cookie'] ?? ''))?.[1];

describe('signing in and out', () => {
  const ctx = withTestContextPerTest();

  it('signs in with the right password, in a new session, and goes to the dashboard', async () => {
    const agent = supertest.agent(ctx.app);
    const login = await agent.get('/login').expect(200);
    expect(login.text).to.match(/<h1[^>]*>Sign in<\/h1>/);
    expect(sidOf(login), 'no session is stored for the sign-in form').to.equal(undefined);
    const csrf = await csrfFrom(agent, '/login');
    const res = await agent.post('/login').type('form').send({ email: 'ADMIN@example.com', password: 'correct horse battery', _csrf: csrf }).expect(303);
    expect(res.headers.location).to.equal('/dashboard');
    const first = sidOf(res);
    expect(first, 'a session once signed in').to.be.a('string');
    const home = await agent.get('/').expect(303);
    expect(home.headers.location).to.equal('/dashboard');
    const account = await agent.get('/account').expect(200);
    expect(account.text).to.contain('admin@example.com');
    const user = await findUserByEmail(ctx.deps.db, 'admin@example.com');
    expect(user?.last_login_at).to.equal(ctx.clock.now().toISOString());

    // Signing in again from a signed-in session (or one planted by someone else) gives a new id; the old one is gone.
    const sessionCsrf = await csrfFrom(agent, '/account');
    const again = await agent.post('/login').type('form').send({ email: 'admin@example.com', password: 'correct horse battery', _csrf: sessionCsrf }).expect(303);
    const second = sidOf(again);
    expect(second, 'a new session id at sign-in (no session fixation)').to.be.a('string').and.not.equal(first);
    await agent.get('/account').expect(200);
    await supertest(ctx.app).get('/account').set('Cookie', `tp.sid=${first}`).expect(303);
  });

  it('refuses a wrong password with 401, keeping the email', async () => {
    const agent = supertest.agent(ctx.app);
    const csrf = await csrfFrom(agent, '/login');
    const res = await agent.post('/login').type('form').send({ email: 'admin@example.com', password: 'wrong password!', _csrf: csrf }).expect(401);
    expect(res.text).to.contain('email or password is wrong');
    expect(res.text).to.match(/name="email" type="email" value="admin@example.com"/);
    expect(res.text).not.to.contain('wrong password!');
    await agent.get('/account').expect(303);
  });

  it('refuses an unknown email the same way', async () => {
    const agent = supertest.agent(ctx.app);
    const csrf = await csrfFrom(agent, '/login');
    const res = await agent.post('/login').type('form').send({ email: 'nobody@example.com', password: 'correct horse battery', _csrf: csrf }).expect(401);
    expect(res.text).to.contain('email or password is wrong');
  });

  it('refuses a deactivated user', async () => {
    const { agent: admin, csrf: adminCsrf } = await ctx.signIn('admin');
    const { agent: viewer } = await ctx.signIn('viewer');
    const viewerRow = await ctx.deps.db('users').where({ role: 'viewer' }).first();
    await admin.post(`/users/${viewerRow.id}/deactivate`).type('form').send({ _csrf: adminCsrf }).expect(303);
    // Their open session ends at once…
    const res = await viewer.get('/account').expect(303);
    expect(res.headers.location).to.equal('/login?next=%2Faccount');
    // …and they cannot sign in again.
    const fresh = supertest.agent(ctx.app);
    const csrf = await csrfFrom(fresh, '/login');
    await fresh.post('/login').type('form').send({ email: viewerRow.email, password: 'correct horse battery', _csrf: csrf }).expect(401);
  });

  it('goes back to a local ?next= page after signing in, never to another site', async () => {
    const agent = supertest.agent(ctx.app);
    const first = await agent.get('/account').expect(303);
    expect(first.headers.location).to.equal('/login?next=%2Faccount');
    const page = await agent.get(first.headers.location).expect(200);
    expect(page.text).to.contain('name="next" value="/account"');
    let csrf = await csrfFrom(agent, '/login');
    let res = await agent.post('/login?next=%2Faccount').type('form').send({ email: 'admin@example.com', password: 'correct horse battery', next: '/account', _csrf: csrf }).expect(303);
    expect(res.headers.location).to.equal('/account');

    for (const next of ['//evil.example.com/x', 'https://evil.example.com/', '/\\evil.example.com']) {
      const other = supertest.agent(ctx.app);
      csrf = await csrfFrom(other, '/login');
      res = await other.post('/login').type('form').send({ email: 'admin@example.com', password: 'correct horse battery', next, _csrf: csrf }).expect(303);
      expect(res.headers.location, next).to.equal('/dashboard');
    }
  });

  it('signs out with POST /logout: the session is gone', async () => {
    const { agent, csrf } = await ctx.signIn('editor');
    await agent.get('/account').expect(200);
    const res = await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).to.equal('/login');
    await agent.get('/account').expect(303);
    const home = await agent.get('/').expect(303);
    expect(home.headers.location).to.equal('/login');
  });

  it('changes one\'s own password only with the current one', async () => {
    const { agent, csrf } = await ctx.signIn('viewer');
    const bad = await agent.post('/account/password').type('form')
      .send({ _csrf: csrf, current_password: 'not it at all', password: 'a brand new password', password_confirm: 'a brand new password' })
      .expect(422);
    expect(bad.text).to.match(/id="f-current_password-error"[^>]*>is not your current password/);
    const mismatch = await agent.post('/account/password').type('form')
      .send({ _csrf: csrf, current_password: 'correct horse battery', password: 'a brand new password', password_confirm: 'another one entirely' })
      .expect(422);
    expect(mismatch.text).to.contain('does not match');
    const short = await agent.post('/account/password').type('form')
      .send({ _csrf: csrf, current_password: 'correct horse battery', password: 'short', password_confirm: 'short' })
      .expect(422);
    expect(short.text).to.match(/id="f-password-error"[^>]*>The password must be at least 12 characters long\./);
    await agent.post('/account/password').type('form')
      .send({ _csrf: csrf, current_password: 'correct horse battery', password: 'a brand new password', password_confirm: 'a brand new password' })
      .expect(303);
    const page = await agent.get('/account').expect(200);
    expect(page.text).to.contain('Your password is changed.');

    const email = (await ctx.deps.db('users').where({ role: 'viewer' }).first()).email;
    const other = supertest.agent(ctx.app);
    let token = await csrfFrom(other, '/login');
    await other.post('/login').type('form').send({ email, password: 'correct horse battery', _csrf: token }).expect(401);
    token = await csrfFrom(other, '/login');
    await other.post('/login').type('form').send({ email, password: 'a brand new password', _csrf: token }).expect(303);
  });
});
