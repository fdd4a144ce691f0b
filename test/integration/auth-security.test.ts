import { expect } from 'chai';
import supertest from 'supertest';
import { createTestContext, csrfFrom, type TestContext, withTestContext } from '../helpers/context.ts';
import { getSettings } from '../../server/settings/service.ts';

const sessionCookie = (res: supertest.Response): string | undefined =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('tp.sid='));

describe('security of the signed-in app', () => {
  describe('CSRF', () => {
    const ctx = withTestContext();

    it('refuses a form without the token, or with a wrong one, and changes nothing', async () => {
      const { agent, csrf } = await ctx.signIn('admin');
      const other = await ctx.signIn('admin');
      const before = await getSettings(ctx.deps.db);
      const keysBefore = await ctx.deps.db('api_keys').count({ n: '*' }).first();
      const change = { reporting_time_zone: 'Asia/Tokyo', min_bucket_responses: '5', edit_window_hours: '1', token_expiry_days: '3' };
      for (const token of [undefined, '', 'wrong', csrf.slice(0, -1) + (csrf.endsWith('a') ? 'b' : 'a'), other.csrf]) {
        const body = token === undefined ? change : { ...change, _csrf: token };
        const res = await agent.post('/settings').type('form').send(body);
        expect(res.status, `token ${token}`).to.equal(403);
        expect(res.text).to.contain('The form has expired');
        const res2 = await agent.post('/api-keys').type('form').send(token === undefined ? { name: 'x' } : { name: 'x', _csrf: token });
        expect(res2.status).to.equal(403);
      }
      expect(await getSettings(ctx.deps.db)).to.deep.equal(before);
      expect(await ctx.deps.db('api_keys').count({ n: '*' }).first()).to.deep.equal(keysBefore);
      // The right token works (so the refusals above were about the token).
      await agent.post('/api-keys').type('form').send({ name: 'x', _csrf: csrf }).expect(201);
    });

    it('refuses sign-in and sign-out without the token', async () => {
      const anonymous = supertest.agent(ctx.app);
      await anonymous.get('/login').expect(200);
      await anonymous.post('/login').type('form').send({ email: 'admin@example.com', password: 'correct horse battery' }).expect(403);
      await anonymous.get('/account').expect(303);

      const { agent } = await ctx.signIn('viewer');
      await agent.post('/logout').type('form').send({}).expect(403);
      await agent.get('/account').expect(200);
    });

    it('refuses a JSON body without the token, too', async () => {
      const { agent } = await ctx.signIn('editor');
      await agent.post('/api-keys').send({ name: 'from json' }).expect(403);
      expect(await ctx.deps.db('api_keys').where({ name: 'from json' }).first()).to.equal(undefined);
    });
  });

  describe('sign-in throttle', () => {
    const ctx = withTestContext();

    it('answers 429 with Retry-After at the 5th failed attempt in a row from one address, even to the right password then', async () => {
      const agent = supertest.agent(ctx.app);
      const csrf = await csrfFrom(agent, '/login');
      for (let i = 1; i <= 4; i++) {
        await agent.post('/login').type('form').send({ email: 'admin@example.com', password: `guess ${i}`, _csrf: csrf }).expect(401);
      }
      const blocked = await agent.post('/login').type('form').send({ email: 'admin@example.com', password: 'guess 5', _csrf: csrf }).expect(429);
      expect(blocked.headers['retry-after']).to.equal('60');
      expect(blocked.text).to.contain('Too many sign-in attempts. Try again in 1 minute.');
      await agent.post('/login').type('form').send({ email: 'admin@example.com', password: 'correct horse battery', _csrf: csrf }).expect(429);
      await agent.get('/account').expect(303);
    });
  });

  describe('session cookie', () => {
    /** Signs in as the admin through plain supertest calls (so that headers can be set on each), returning the sign-in answer. */
    const signInWith = async (app: TestContext['app'], headers: Record<string, string>) => {
      const form = await supertest(app).get('/login').set(headers).expect(200);
      const csrfCookie = ([] as string[]).concat(form.headers['set-cookie'] ?? []).find((c) => c.startsWith('tp.csrf='))!;
      const token = /name="csrf-token" content="([^"]+)"/.exec(form.text)![1];
      return { form, csrfCookie, res: await supertest(app).post('/login').set(headers).set('Cookie', csrfCookie.split(';')[0]).type('form').send({ email: 'admin@example.com', password: 'correct horse battery', _csrf: token }) };
    };

    it('is HttpOnly and SameSite=Lax, not Secure over http; set only once signed in', async () => {
      const ctx = await createTestContext();
      try {
        const { form, csrfCookie, res } = await signInWith(ctx.app, {});
        expect(sessionCookie(form), 'no session for the sign-in form').to.equal(undefined);
        expect(csrfCookie).to.match(/;\s*HttpOnly/i);
        expect(csrfCookie).to.match(/;\s*SameSite=Strict/i);
        expect(res.status).to.equal(303);
        const cookie = sessionCookie(res);
        expect(cookie).to.be.a('string');
        expect(cookie).to.match(/;\s*HttpOnly/i);
        expect(cookie).to.match(/;\s*SameSite=Lax/i);
        expect(cookie).not.to.match(/;\s*Secure/i);
      } finally {
        await ctx.close();
      }
    });

    it('is Secure when BASE_URL is https (behind a proxy that terminates TLS)', async () => {
      const ctx = await createTestContext({ env: { BASE_URL: 'https://feedback.example.com' } });
      try {
        const { form, csrfCookie, res } = await signInWith(ctx.app, { 'X-Forwarded-Proto': 'https' });
        expect(csrfCookie).to.match(/;\s*Secure/i);
        expect(res.status).to.equal(303);
        const cookie = sessionCookie(res);
        expect(cookie).to.match(/;\s*Secure/i);
        expect(cookie).to.match(/;\s*HttpOnly/i);
        expect(cookie).to.match(/;\s*SameSite=Lax/i);
        expect(form.headers['strict-transport-security']).to.be.a('string');
        // Over plain http the session cookie is never set at all.
        const plain = await signInWith(ctx.app, {});
        expect(plain.res.status).to.equal(303);
        expect(sessionCookie(plain.res)).to.equal(undefined);
      } finally {
        await ctx.close();
      }
    });

    it('pages carry a CSP without inline scripts and the usual security headers', async () => {
      const ctx = await createTestContext();
      try {
        const res = await supertest(ctx.app).get('/login').expect(200);
        const csp = String(res.headers['content-security-policy']);
        expect(csp).to.contain("script-src 'self'");
        expect(csp).not.to.contain('unsafe-inline');
        expect(res.headers['x-content-type-options']).to.equal('nosniff');
        expect(res.headers['x-powered-by']).to.equal(undefined);
        expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)/);
        expect(res.text).not.to.match(/\sstyle="/);
      } finally {
        await ctx.close();
      }
    });
  });
});
