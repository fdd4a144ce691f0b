import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, TEST_PASSWORD, withTestContextPerTest } from '../helpers/context.ts';
import { findUserByEmail } from '../../server/auth/queries.ts';
import { issuePasswordLink } from '../../server/auth/links.ts';

describe('audit lines of signing in and of accounts', () => {
  const ctx = withTestContextPerTest();

  it('writes one line per action, in order, with who, what, whom and from where, and never a password', async () => {
    const app = ctx.app;
    const post = async (agent: supertest.Agent, path: string, body: Record<string, string>, address = '192.0.2.10') =>
      agent.post(path).set('X-Forwarded-For', address).type('form').send(body);

    // A wrong password, then the right one.
    const admin = supertest.agent(app);
    let csrf = await csrfFrom(admin, '/login');
    await post(admin, '/login', { _csrf: csrf, email: 'admin@example.com', password: 'a wrong secret' }).then((r) => expect(r.status).to.equal(401));
    await post(admin, '/login', { _csrf: csrf, email: 'admin@example.com', password: TEST_PASSWORD }).then((r) => expect(r.status).to.equal(303));
    csrf = await csrfFrom(admin, '/account');

    // Users: added with a password, invited, role changed, deactivated, reactivated.
    await post(admin, '/users', { _csrf: csrf, email: 'vera@example.com', role: 'viewer', access: 'password', password: 'initial password 1' }).then((r) => expect(r.status).to.equal(303));
    await post(admin, '/users', { _csrf: csrf, email: 'ina@example.com', role: 'editor', access: 'invite' }).then((r) => expect(r.status).to.equal(303));
    const vera = (await findUserByEmail(ctx.deps.db, 'vera@example.com'))!;
    await post(admin, `/users/${vera.id}/role`, { _csrf: csrf, role: 'editor' }).then((r) => expect(r.status).to.equal(303));
    await post(admin, `/users/${vera.id}/deactivate`, { _csrf: csrf }).then((r) => expect(r.status).to.equal(303));
    await post(admin, `/users/${vera.id}/reactivate`, { _csrf: csrf }).then((r) => expect(r.status).to.equal(303));

    // One's own password, then signing out.
    await post(admin, '/account/password', { _csrf: csrf, current_password: TEST_PASSWORD, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).then((r) => expect(r.status).to.equal(303));
    csrf = await csrfFrom(admin, '/account');
    await post(admin, '/logout', { _csrf: csrf }).then((r) => expect(r.status).to.equal(303));

    // A reset asked for and used, from another address.
    const vera2 = supertest.agent(app);
    const forgotCsrf = await csrfFrom(vera2, '/password/forgot');
    await post(vera2, '/password/forgot', { _csrf: forgotCsrf, email: 'vera@example.com' }, '192.0.2.77').then((r) => expect(r.status).to.equal(200));
    // The request issues its own link after the page is answered: wait for it, or it would replace the one issued here.
    for (let waited = 0; !(await ctx.deps.db('user_tokens').where({ user_id: vera.id, purpose: 'reset' }).first()); waited += 20) {
      if (waited > 10_000) throw new Error('the reset request issued no link');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { token } = await issuePasswordLink(ctx.deps.db, vera.id, 'reset', ctx.clock.now());
    const setCsrf = await csrfFrom(vera2, `/password/set/${token}`);
    await post(vera2, `/password/set/${token}`, { _csrf: setCsrf, password: 'sunny orchard keys 8', password_confirm: 'sunny orchard keys 8' }, '192.0.2.77').then((r) =>
      expect(r.status).to.equal(303),
    );

    // The lines of accounts and signing in (the test context's API key has its own).
    const rows = await ctx.deps.db('audit_log').where('action', 'like', 'auth.%').orWhere('action', 'like', 'user.%').orderBy('id').select();
    const lines = rows.map((r) => ({ action: r.action, actor: r.actor_label ?? r.actor_type, target: r.target_label, ip: r.ip, detail: JSON.parse(r.detail) }));
    expect(lines).to.deep.equal([
      { action: 'auth.sign_in_failed', actor: 'anonymous', target: 'admin@example.com', ip: '192.0.2.10', detail: {} },
      { action: 'auth.sign_in', actor: 'admin@example.com', target: 'admin@example.com', ip: '192.0.2.10', detail: {} },
      { action: 'user.created', actor: 'admin@example.com', target: 'vera@example.com', ip: '192.0.2.10', detail: { role: 'viewer' } },
      { action: 'user.invited', actor: 'admin@example.com', target: 'ina@example.com', ip: '192.0.2.10', detail: { role: 'editor' } },
      { action: 'user.role_changed', actor: 'admin@example.com', target: 'vera@example.com', ip: '192.0.2.10', detail: { from: 'viewer', to: 'editor' } },
      { action: 'user.deactivated', actor: 'admin@example.com', target: 'vera@example.com', ip: '192.0.2.10', detail: {} },
      { action: 'user.reactivated', actor: 'admin@example.com', target: 'vera@example.com', ip: '192.0.2.10', detail: {} },
      { action: 'auth.password_changed', actor: 'admin@example.com', target: 'admin@example.com', ip: '192.0.2.10', detail: {} },
      { action: 'auth.sign_out', actor: 'admin@example.com', target: 'admin@example.com', ip: '192.0.2.10', detail: {} },
      { action: 'auth.password_reset_requested', actor: 'anonymous', target: 'vera@example.com', ip: '192.0.2.77', detail: {} },
      { action: 'auth.password_reset', actor: 'vera@example.com', target: 'vera@example.com', ip: '192.0.2.77', detail: {} },
    ]);
    const adminId = (await findUserByEmail(ctx.deps.db, 'admin@example.com'))!.id;
    expect(rows.filter((r) => r.actor_label === 'admin@example.com').every((r) => r.actor_type === 'user' && r.actor_id === adminId)).to.equal(true);
    expect(rows.every((r) => r.at === ctx.clock.now().toISOString())).to.equal(true);
    const everything = JSON.stringify(rows);
    for (const secret of ['a wrong secret', TEST_PASSWORD, 'initial password 1', 'fresh lemon harbour', 'sunny orchard keys 8', token]) expect(everything).not.to.contain(secret);
  });

  it('an invitation accepted is written as a first password set by the new user', async () => {
    const { agent, csrf } = await ctx.signIn('admin');
    await agent.post('/users').type('form').send({ _csrf: csrf, email: 'nia@example.com', role: 'viewer', access: 'invite' }).expect(303);
    const nia = (await findUserByEmail(ctx.deps.db, 'nia@example.com'))!;
    const { token } = await issuePasswordLink(ctx.deps.db, nia.id, 'invite', ctx.clock.now());
    const browser = supertest.agent(ctx.app);
    const setCsrf = await csrfFrom(browser, `/password/set/${token}`);
    await browser.post(`/password/set/${token}`).type('form').send({ _csrf: setCsrf, password: 'fresh lemon harbour', password_confirm: 'fresh lemon harbour' }).expect(303);
    const last = await ctx.deps.db('audit_log').orderBy('id', 'desc').first();
    expect(last).to.include({ action: 'auth.password_set', actor_type: 'user', actor_id: nia.id, target_label: 'nia@example.com' });
  });
});
