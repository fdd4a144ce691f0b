import { expect } from 'chai';
import supertest from 'supertest';
import { csrfFrom, withTestContext } from '../helpers/context.ts';
import type { Role } from '../../server/auth/roles.ts';
import { getSettings } from '../../server/settings/service.ts';

type Who = Role | 'anonymous';
const levels: Role[] = ['viewer', 'editor', 'admin'];
const allowed = (who: Who, needed: Role) => who !== 'anonymous' && levels.indexOf(who) >= levels.indexOf(needed);

/** Every signed-in page that exists now, with the least role it needs; `mine` pages must answer 200 already. */
const pages: { path: string; role: Role; mine: boolean }[] = [
  { path: '/dashboard', role: 'viewer', mine: false },
  { path: '/surveys', role: 'editor', mine: false },
  { path: '/mailbox', role: 'admin', mine: true },
  { path: '/deliveries', role: 'editor', mine: false },
  { path: '/api-keys', role: 'editor', mine: true },
  { path: '/users', role: 'admin', mine: true },
  { path: '/users/new', role: 'admin', mine: true },
  { path: '/settings', role: 'admin', mine: true },
  { path: '/webhooks', role: 'admin', mine: true },
  { path: '/account', role: 'viewer', mine: true },
];

describe('roles on every page', () => {
  const ctx = withTestContext();
  const agents = {} as Record<Who, { agent: supertest.Agent; csrf: string }>;
  before(async () => {
    for (const role of levels) agents[role] = await ctx.signIn(role);
    const anonymous = supertest.agent(ctx.app);
    agents.anonymous = { agent: anonymous, csrf: await csrfFrom(anonymous, '/login') };
  });

  for (const page of pages) {
    it(`GET ${page.path}: ${page.role} and above only; anonymous to the login page`, async function () {
      const probe = await agents.admin.agent.get(page.path);
      // A page another engineer has not built yet: strict as soon as it exists.
      if (!page.mine && probe.status === 404) this.skip();
      for (const who of ['anonymous', ...levels] as Who[]) {
        const res = await agents[who].agent.get(page.path);
        if (who === 'anonymous') {
          expect(res.status, `${who} ${page.path}`).to.equal(303);
          expect(res.headers.location).to.equal(`/login?next=${encodeURIComponent(page.path)}`);
        } else if (allowed(who, page.role)) {
          expect(res.status, `${who} ${page.path}`).to.equal(200);
          expect(res.text).to.contain('<main id="main">');
        } else {
          expect(res.status, `${who} ${page.path}`).to.equal(403);
          expect(res.text).to.contain(`needs the ${page.role} role`);
        }
      }
    });
  }

  it('the navigation shows each role only what it may open', async () => {
    const nav = async (who: Role) => (await agents[who].agent.get('/account').expect(200)).text;
    const viewer = await nav('viewer');
    expect(viewer).to.contain('href="/dashboard"');
    expect(viewer).not.to.contain('href="/api-keys"');
    expect(viewer).not.to.contain('href="/users"');
    expect(viewer).not.to.contain('href="/mailbox"');
    const editor = await nav('editor');
    expect(editor).to.contain('href="/api-keys"');
    expect(editor).not.to.contain('href="/settings"');
    // The development mailbox is the admins': it may hold what only they should read.
    expect(editor).not.to.contain('href="/mailbox"');
    const admin = await nav('admin');
    expect(admin).to.contain('href="/users"');
    expect(admin).to.contain('href="/settings"');
    expect(admin).to.contain('href="/mailbox"');
  });

  /** The POST actions of these pages: a role below is refused with 403 and changes nothing. */
  const actions: { path: (ids: { user: number; key: number }) => string; role: Role; body: Record<string, string> }[] = [
    { path: () => '/users', role: 'admin', body: { email: 'new-person@example.com', role: 'admin', password: 'a long enough password' } },
    { path: (ids) => `/users/${ids.user}/role`, role: 'admin', body: { role: 'admin' } },
    { path: (ids) => `/users/${ids.user}/deactivate`, role: 'admin', body: {} },
    { path: () => '/settings', role: 'admin', body: { reporting_time_zone: 'Asia/Tokyo', min_bucket_responses: '1' } },
    { path: () => '/api-keys', role: 'editor', body: { name: 'sneaky' } },
    { path: () => '/webhooks', role: 'admin', body: { url: 'https://hooks.example.com/sneaky', events: 'response.created' } },
    { path: (ids) => `/api-keys/${ids.key}/revoke`, role: 'editor', body: {} },
    { path: () => '/account/password', role: 'viewer', body: { current_password: 'x', password: 'y', password_confirm: 'y' } },
  ];

  const snapshot = async () => ({
    users: await ctx.deps.db('users').select('id', 'email', 'role', 'deactivated_at', 'password_hash').orderBy('id'),
    keys: await ctx.deps.db('api_keys').select('id', 'name', 'revoked_at').orderBy('id'),
    webhooks: await ctx.deps.db('webhook_endpoints').select('id', 'url').orderBy('id'),
    settings: await getSettings(ctx.deps.db),
  });

  for (const action of actions) {
    it(`POST ${action.path({ user: 0, key: 0 }).replace(/\/0\//, '/:id/')}: refused below ${action.role}, 401 signed out`, async () => {
      const viewer = await ctx.deps.db('users').where({ role: 'viewer' }).first();
      const key = await ctx.deps.db('api_keys').first();
      const path = action.path({ user: viewer.id, key: key.id });
      const before = await snapshot();
      for (const who of ['anonymous', ...levels] as Who[]) {
        if (allowed(who, action.role)) continue;
        const res = await agents[who].agent.post(path).type('form').send({ ...action.body, _csrf: agents[who].csrf });
        expect(res.status, `${who} POST ${path}`).to.equal(who === 'anonymous' ? 401 : 403);
      }
      expect(await snapshot(), 'nothing changed').to.deep.equal(before);
    });
  }
});
