import { expect } from 'chai';
import supertest from 'supertest';
import type { Express } from 'express';
import { csrfFrom, TEST_PASSWORD, type TestContext, withTestContextPerTest } from '../helpers/context.ts';
import { createApp } from '../../server/app.ts';
import { openDb } from '../../server/db/knex.ts';
import { createThrottle } from '../../server/auth/throttle.ts';
import { MINUTE } from '../../server/clock.ts';

/** One sign-in attempt from a fresh browser at `address` (X-Forwarded-For: the app trusts its loopback proxy). */
async function attempt(app: Express, email: string, password: string, address: string): Promise<supertest.Response> {
  const agent = supertest.agent(app);
  const csrf = await csrfFrom(agent, '/login');
  return agent.post('/login').set('X-Forwarded-For', address).type('form').send({ email, password, _csrf: csrf });
}

const auditRows = (ctx: TestContext, action: string) => ctx.deps.db('audit_log').where({ action }).orderBy('id');

describe('sign-in throttling, counted in the database', () => {
  const ctx = withTestContextPerTest();

  it('two app processes on one database hold one account together; the right password from another address still gets in', async () => {
    // A second app with its own connection to the same database: as a second process would be.
    const secondDb = openDb(ctx.deps.config.databaseUrl);
    try {
      const second = createApp({ ...ctx.deps, db: secondDb });
      const apps = [ctx.app, second];
      for (let i = 1; i <= 4; i++) {
        const res = await attempt(apps[i % 2], 'admin@example.com', `wrong guess ${i}`, '203.0.113.5');
        expect(res.status, `attempt ${i}`).to.equal(401);
        // Said once, above the form (not again beside each field).
        expect(res.text.split('The email or password is wrong.').length - 1, 'times the sign-in error is shown').to.equal(1);
      }
      const fifth = await attempt(second, 'Admin@Example.com', 'wrong guess 5', '203.0.113.5');
      expect(fifth.status).to.equal(429);
      expect(fifth.headers['retry-after']).to.equal('60');
      expect(fifth.text).to.contain('Too many sign-in attempts. Try again in 1 minute.');

      // Held on both apps, even with the right password, and answered at once.
      for (const app of apps) {
        const res = await attempt(app, 'admin@example.com', TEST_PASSWORD, '203.0.113.5');
        expect(res.status).to.equal(429);
        expect(Number(res.headers['retry-after'])).to.be.within(1, 60);
        expect(res.text).to.contain('Too many sign-in attempts. Try again in');
      }
      // The admin, elsewhere, signs in.
      const elsewhere = await attempt(second, 'admin@example.com', TEST_PASSWORD, '198.51.100.7');
      expect(elsewhere.status).to.equal(303);
      expect(elsewhere.headers.location).to.equal('/dashboard');

      // A minute later the first address may try again.
      ctx.clock.advance(MINUTE);
      expect((await attempt(ctx.app, 'admin@example.com', TEST_PASSWORD, '203.0.113.5')).status).to.equal(303);

      const failed = await auditRows(ctx, 'auth.sign_in_failed');
      expect(failed).to.have.length(5);
      expect(failed.map((r) => [r.target_label, r.ip, r.actor_type])[0]).to.deep.equal(['admin@example.com', '203.0.113.5', 'anonymous']);
      const held = await auditRows(ctx, 'auth.throttled');
      expect(held).to.have.length(1);
      expect(JSON.parse(held[0].detail)).to.include({ kind: 'sign_in', scope: 'account_address', retry_after_seconds: 60 });
      expect(JSON.stringify(await ctx.deps.db('audit_log').select())).not.to.contain('wrong guess');
    } finally {
      await secondDb.destroy();
    }
  });

  it('the hold grows: 1 minute after 5 failures, 5 minutes after 10, 15 minutes after 15; a refusal says how long is left', async () => {
    const fail = (i: number) => attempt(ctx.app, 'admin@example.com', `wrong guess ${i}`, '203.0.113.6');
    const expected = [
      [60, '1 minute'],
      [300, '5 minutes'],
      [900, '15 minutes'],
    ] as const;
    for (const [seconds, words] of expected) {
      for (let i = 1; i <= 4; i++) expect((await fail(i)).status).to.equal(401);
      const held = await fail(5);
      expect(held.status).to.equal(429);
      expect(held.headers['retry-after']).to.equal(String(seconds));
      expect(held.text).to.contain(`Try again in ${words}.`);
      if (seconds > 100) {
        // 100 seconds before the hold ends: refused at once (and not counted), saying how long is left.
        ctx.clock.advance((seconds - 100) * 1000);
        const later = await fail(6);
        expect(later.status).to.equal(429);
        expect(later.headers['retry-after']).to.equal('100');
        expect(later.text).to.contain('Try again in 2 minutes.');
        ctx.clock.advance(100_000);
      } else {
        ctx.clock.advance(seconds * 1000);
      }
    }
    expect(await auditRows(ctx, 'auth.throttled')).to.have.length(3);
  });

  it('an address that fails on many accounts is held from every sign-in for an hour', async () => {
    for (let i = 1; i <= 19; i++) {
      expect((await attempt(ctx.app, `person${i}@example.com`, 'Summer2026!', '203.0.113.20')).status, `attempt ${i}`).to.equal(401);
    }
    const twentieth = await attempt(ctx.app, 'person20@example.com', 'Summer2026!', '203.0.113.20');
    expect(twentieth.status).to.equal(429);
    expect(twentieth.headers['retry-after']).to.equal('3600');
    expect(twentieth.text).to.contain('Too many sign-in attempts. Try again in 1 hour.');
    const right = await attempt(ctx.app, 'admin@example.com', TEST_PASSWORD, '203.0.113.20');
    expect(right.status).to.equal(429);
    expect((await attempt(ctx.app, 'admin@example.com', TEST_PASSWORD, '203.0.113.21')).status).to.equal(303);
    const [held] = await auditRows(ctx, 'auth.throttled');
    expect(JSON.parse(held.detail)).to.include({ scope: 'address', retry_after_seconds: 3600 });
  });

  it('counts the addresses of one IPv6 /64 as one', async () => {
    for (let i = 1; i <= 4; i++) expect((await attempt(ctx.app, 'admin@example.com', `wrong ${i}`, `2001:db8:7:7::${i}`)).status).to.equal(401);
    expect((await attempt(ctx.app, 'admin@example.com', 'wrong 5', '2001:db8:7:7:ffff::5')).status).to.equal(429);
    expect((await attempt(ctx.app, 'admin@example.com', TEST_PASSWORD, '2001:db8:7:8::1')).status).to.equal(303);
  });

  it('holds an email without an account exactly like one with an account', async () => {
    const bodies: string[] = [];
    for (const email of ['admin@example.com', 'nobody@example.com']) {
      for (let i = 1; i <= 4; i++) expect((await attempt(ctx.app, email, `wrong ${i}`, '203.0.113.30')).status).to.equal(401);
      const held = await attempt(ctx.app, email, 'wrong 5', '203.0.113.30');
      expect(held.status).to.equal(429);
      expect(held.headers['retry-after']).to.equal('60');
      bodies.push(held.text.replace(/content="[^"]+"|value="[^"]+"/g, ''));
    }
    expect(bodies[1]).to.equal(bodies[0]);
  });

  it('holds an account failing 100 times an hour, spread over many addresses, from everywhere', async () => {
    // 99 failures from 99 addresses, counted as the sign-in counts them (without 99 password checks) …
    const throttle = createThrottle(ctx.deps.db, ctx.deps.config.sessionSecret);
    for (let i = 1; i <= 99; i++) await throttle.hit('sign_in', { account: 'admin@example.com', address: `198.18.0.${i}` }, ctx.clock.now());
    // … and the hundredth through the form.
    const hundredth = await attempt(ctx.app, 'admin@example.com', 'wrong', '198.18.1.1');
    expect(hundredth.status).to.equal(429);
    expect(hundredth.headers['retry-after']).to.equal('3600');
    const right = await attempt(ctx.app, 'admin@example.com', TEST_PASSWORD, '198.18.2.2');
    expect(right.status).to.equal(429);
    // Other accounts are not held.
    await ctx.signIn('viewer');
  });

  it('a right password clears the failures of that address for that account', async () => {
    for (let i = 1; i <= 4; i++) expect((await attempt(ctx.app, 'admin@example.com', `wrong ${i}`, '203.0.113.40')).status).to.equal(401);
    expect((await attempt(ctx.app, 'admin@example.com', TEST_PASSWORD, '203.0.113.40')).status).to.equal(303);
    for (let i = 1; i <= 4; i++) expect((await attempt(ctx.app, 'admin@example.com', `wrong ${i}`, '203.0.113.40')).status).to.equal(401);
    expect((await attempt(ctx.app, 'admin@example.com', 'wrong 5', '203.0.113.40')).status).to.equal(429);
  });
});
