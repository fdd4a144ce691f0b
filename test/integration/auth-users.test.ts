import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, withTestContextPerTest } from '../helpers/context.ts';
import { findUserByEmail } from '../../server/auth/queries.ts';

describe('users page', () => {
  const ctx = withTestContextPerTest();

  const signInAs = async (email: string, password: string) => {
    const agent = supertest.agent(ctx.app);
    const csrf = await csrfFrom(agent, '/login');
    return agent.post('/login').type('form').send({ email, password, _csrf: csrf });
  };

  it('lists users with role, last sign-in and status', async () => {
    const { agent } = await ctx.signIn('admin');
    await ctx.signIn('viewer');
    const page = await agent.get('/users').expect(200);
    expect(page.text).to.contain('admin@example.com');
    expect(page.text).to.match(/viewer-[0-9a-f-]+@example\.com/);
    expect(page.text).to.contain('23 Nov 2026, 10:00 UTC');
    expect(page.text).to.contain('(you)');
    expect((page.text.match(/<span class="status">Active<\/span>/g) ?? []).length).to.equal(2);
  });

  it('adds a user who can then sign in with the given role', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const res = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'Eddie@Example.com', name: 'Eddie', role: 'editor', password: 'initial password 1' }).expect(303);
    expect(res.headers.location).to.equal('/users');
    const list = await agent.get('/users').expect(200);
    expect(list.text).to.contain('Eddie@Example.com can now sign in as editor');
    const eddie = await findUserByEmail(ctx.deps.db, 'eddie@example.com');
    expect(eddie?.role).to.equal('editor');
    expect(eddie?.password_hash).to.match(/^scrypt\$/);
    await signInAs('eddie@example.com', 'initial password 1').then((r) => expect(r.status).to.equal(303));
  });

  it('refuses a bad new user with errors beside the fields, keeping the input', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const res = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'nope', name: 'Nina', role: 'owner', password: 'short' }).expect(422);
    expect(res.text).to.match(/id="f-email-error"[^>]*>must be an email address/);
    expect(res.text).to.match(/id="f-role-error"[^>]*>must be admin, editor or viewer/);
    expect(res.text).to.match(/id="f-password-error"[^>]*>The password must be at least 12 characters long\./);
    expect(res.text).to.contain('value="Nina"');
    const taken = await agent.post('/users').type('form').send({ _csrf: csrf, email: 'admin@example.com', role: 'viewer', password: 'long enough password' }).expect(409);
    expect(taken.text).to.match(/id="f-email-error"[^>]*>is already taken/);
    expect(await ctx.deps.db('users').count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
  });

  it('changes roles, deactivates and reactivates others, but never oneself', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    const me = (await findUserByEmail(ctx.deps.db, 'admin@example.com'))!;
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'vera@example.com', role: 'viewer', password: 'initial password 1' }).expect(303);
    const vera = (await findUserByEmail(ctx.deps.db, 'vera@example.com'))!;

    await agent.post(`/users/${vera.id}/role`).type('form').send({ _csrf: csrf, role: 'editor' }).expect(303);
    expect((await findUserByEmail(ctx.deps.db, 'vera@example.com'))?.role).to.equal('editor');
    await agent.post(`/users/${vera.id}/role`).type('form').send({ _csrf: csrf, role: 'superuser' }).expect(422);

    await agent.post(`/users/${vera.id}/deactivate`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await findUserByEmail(ctx.deps.db, 'vera@example.com'))?.deactivated_at).to.equal(ctx.clock.now().toISOString());
    expect((await signInAs('vera@example.com', 'initial password 1')).status).to.equal(401);
    await agent.post(`/users/${vera.id}/reactivate`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await signInAs('vera@example.com', 'initial password 1')).status).to.equal(303);

    const demote = await agent.post(`/users/${me.id}/role`).type('form').send({ _csrf: csrf, role: 'viewer' }).expect(403);
    expect(demote.text).to.contain('cannot change your own role');
    await agent.post(`/users/${me.id}/deactivate`).type('form').send({ _csrf: csrf }).expect(403);
    const after = (await findUserByEmail(ctx.deps.db, 'admin@example.com'))!;
    expect(after.role).to.equal('admin');
    expect(after.deactivated_at).to.equal(null);

    await agent.post('/users/999999/deactivate').type('form').send({ _csrf: csrf }).expect(404);
    await agent.post('/users/x/role').type('form').send({ _csrf: csrf, role: 'viewer' }).expect(404);
  });

  it('a demoted user loses access at once', async () => {
    const admin = await ctx.signIn('admin');
    const editor = await ctx.signIn('editor');
    await editor.agent.get('/api-keys').expect(200);
    const row = await ctx.deps.db('users').where({ role: 'editor' }).first();
    await admin.agent.post(`/users/${row.id}/role`).type('form').send({ _csrf: admin.csrf, role: 'viewer' }).expect(303);
    await editor.agent.get('/api-keys').expect(403);
  });
});
