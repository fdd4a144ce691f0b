import { expect } from 'chai';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { captureLog, type CapturedLog } from '../helpers/log.ts';
import { createApp } from '../../server/app.ts';
import { isLoopbackAddress, mayReadMetrics } from '../../server/health/access.ts';
import { sendsTotal } from '../../server/telemetry.ts';
import { toDbTime } from '../../server/db/time.ts';
import { MINUTE } from '../../server/clock.ts';
import type { Deps } from '../../server/deps.ts';
import type { MailTransport } from '../../server/mail/transport.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

/** A mail transport whose server could not be reached (what the circuit breaker reports). */
const downMail: MailTransport = {
  kind: 'smtp',
  send: async () => {
    throw new Error('down');
  },
  available: () => false,
  health: () => ({ state: 'down', since: '2026-11-23T09:55:00.000Z', retryAt: '2026-11-23T10:01:00.000Z', lastError: 'connect ECONNREFUSED 10.0.0.5:587' }),
  close: async () => {},
};

/** The value of a sample in Prometheus text (the first one, with any labels), or undefined when absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const escaped = (name + labels).replace(/[{}]/g, '\\$&');
  const match = new RegExp(`^${escaped}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** An address of this machine that is not loopback: a request to it arrives from a non-loopback peer. */
function externalAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

describe('health: who may read /metrics', () => {
  it('takes 127.0.0.0/8, ::1 and IPv4-mapped 127.x as loopback, nothing else', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::FFFF:127.9.9.9']) expect(isLoopbackAddress(a), a).to.equal(true);
    for (const a of [undefined, '', '10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', '128.0.0.1', '127.0.0', '127.0.0.1.5', 'localhost', '::2', '1127.0.0.1'])
      expect(isLoopbackAddress(a), String(a)).to.equal(false);
  });

  const at = (remoteAddress: string, headers: Record<string, string> = {}) => ({ remoteAddress, headers });

  it('without METRICS_TOKEN: loopback only, and not through a proxy', () => {
    expect(mayReadMetrics(at('127.0.0.1'), null)).to.equal(true);
    expect(mayReadMetrics(at('::1', { authorization: 'Bearer whatever' }), null)).to.equal(true);
    expect(mayReadMetrics(at('10.0.0.7'), null)).to.equal(false);
    expect(mayReadMetrics(at('10.0.0.7', { authorization: `Bearer ${TOKEN}` }), null)).to.equal(false);
    // A proxy on this machine connects from loopback for anyone: its headers give it away (and never let anyone in).
    expect(mayReadMetrics(at('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), null)).to.equal(false);
    expect(mayReadMetrics(at('127.0.0.1', { forwarded: 'for=203.0.113.9' }), null)).to.equal(false);
    expect(mayReadMetrics(at('127.0.0.1', { 'x-real-ip': '203.0.113.9' }), null)).to.equal(false);
    expect(mayReadMetrics(at('10.0.0.7', { 'x-forwarded-for': '127.0.0.1' }), null)).to.equal(false);
  });

  it('with METRICS_TOKEN: the right bearer token from anywhere; a wrong one never, not even from loopback', () => {
    expect(mayReadMetrics(at('10.0.0.7', { authorization: `Bearer ${TOKEN}` }), TOKEN)).to.equal(true);
    expect(mayReadMetrics(at('10.0.0.7', { authorization: `bearer  ${TOKEN} ` }), TOKEN)).to.equal(true);
    expect(mayReadMetrics(at('127.0.0.1', { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' }), TOKEN)).to.equal(true);
    expect(mayReadMetrics(at('10.0.0.7'), TOKEN)).to.equal(false);
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`, 'Bearer ', ''])
      for (const peer of ['10.0.0.7', '127.0.0.1']) expect(mayReadMetrics(at(peer, { authorization }), TOKEN), `${peer} ${authorization}`).to.equal(false);
    expect(mayReadMetrics(at('127.0.0.1'), TOKEN)).to.equal(true);
  });
});

describe('GET /healthz and /readyz', () => {
  let captured: CapturedLog;
  const ctx = withTestContext(() => {
    captured = captureLog();
    return { log: captured.log };
  });
  const withDeps = (deps: Partial<Deps>) => createApp({ ...ctx.deps, ...deps });

  it('/healthz answers 200 {"status":"ok"}, not cached, no session', async () => {
    const res = await supertest(ctx.app).get('/healthz').expect(200, { status: 'ok' });
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['set-cookie']).to.equal(undefined);
  });

  it('/readyz answers 200 with each check when the database answers, migrations are current and mail is up', async () => {
    const res = await supertest(ctx.app).get('/readyz').expect(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['set-cookie']).to.equal(undefined);
    expect(res.body.status).to.equal('ready');
    expect(res.body.checks.database.ok).to.equal(true);
    expect(res.body.checks.database.latencyMs).to.be.a('number');
    expect(res.body.checks.migrations).to.deep.equal({ ok: true, pending: [] });
    expect(res.body.checks.mail).to.deep.equal({ ok: true, kind: 'mailbox', state: 'up', since: null, retryAt: null, lastError: null });
  });

  it('/readyz answers 503 while the mail server is down, with its state; the error only for this machine', async () => {
    const app = withDeps({ mail: downMail });
    const res = await supertest(app).get('/readyz').expect(503);
    expect(res.body.status).to.equal('not ready');
    expect(res.body.checks.database.ok).to.equal(true);
    expect(res.body.checks.migrations.ok).to.equal(true);
    expect(res.body.checks.mail).to.deep.equal({ ok: false, kind: 'smtp', state: 'down', ...pick(downMail.health(), 'since', 'retryAt', 'lastError') });
    const proxied = await supertest(app).get('/readyz').set('X-Forwarded-For', '203.0.113.9').expect(503);
    expect(proxied.body.checks.mail).to.deep.equal({ ok: false, kind: 'smtp', state: 'down', ...pick(downMail.health(), 'since', 'retryAt') });
    expect(proxied.text).not.to.include('10.0.0.5');
    // Logged once when it turns, not at every probe.
    expect(captured.matching(/^not ready: mail$/)).to.have.length(1);
  });

  it('/readyz answers 503 when a query does not come back within 2 s, without waiting for it', async () => {
    const hanging = new Proxy(ctx.deps.db, { get: (target, key) => (key === 'raw' ? () => new Promise(() => {}) : Reflect.get(target, key)) });
    const started = Date.now();
    const res = await supertest(withDeps({ db: hanging })).get('/readyz').expect(503);
    expect(Date.now() - started).to.be.below(5000);
    expect(res.body.checks.database).to.deep.include({ ok: false, error: 'did not answer within 2 s' });
    expect(res.body.checks.migrations.ok).to.equal(false);
  });

  it('/readyz answers 503 naming a migration the database lacks; one it has that this code does not know is only listed', async () => {
    const { db } = ctx.deps;
    const last = await db('knex_migrations').orderBy('id', 'desc').first();
    await db('knex_migrations').where({ id: last.id }).del();
    try {
      const res = await supertest(ctx.app).get('/readyz').expect(503);
      expect(res.body.checks.migrations).to.deep.equal({ ok: false, pending: [last.name] });
      expect(res.body.checks.database.ok).to.equal(true);
    } finally {
      await db('knex_migrations').insert({ name: last.name, batch: last.batch, migration_time: last.migration_time });
    }
    await db('knex_migrations').insert({ name: '29991231000000_from_a_newer_release.js', batch: 99, migration_time: new Date() });
    const res = await supertest(ctx.app).get('/readyz').expect(200);
    expect(res.body.checks.migrations).to.deep.equal({ ok: true, pending: [], unknown: ['29991231000000_from_a_newer_release.js'] });
    expect(captured.matching(/^ready again/).length).to.be.at.least(1);
  });
});

describe('/readyz and /metrics when the database is gone', () => {
  const ctx = withTestContext();
  before(async () => ctx.deps.db.destroy());

  it('/readyz answers 503 naming the database (not a 500)', async () => {
    const res = await supertest(ctx.app).get('/readyz').expect(503);
    expect(res.body.status).to.equal('not ready');
    expect(res.body.checks.database).to.include({ ok: false, error: 'does not answer' });
    expect(res.body.checks.database.detail).to.be.a('string');
    expect(res.body.checks.migrations).to.deep.equal({ ok: false, error: 'not checked: the database does not answer' });
    expect(res.body.checks.mail.ok).to.equal(true);
    const proxied = await supertest(ctx.app).get('/readyz').set('X-Forwarded-For', '203.0.113.9').expect(503);
    expect(proxied.body.checks.database).to.deep.equal({ ok: false, error: 'does not answer' });
  });

  it('/metrics still answers, with touchpoint_database_up 0 and no queue figures', async () => {
    const res = await supertest(ctx.app).get('/metrics').expect(200);
    expect(sample(res.text, 'touchpoint_database_up')).to.equal(0);
    expect(sample(res.text, 'touchpoint_mail_up')).to.equal(1);
    expect(res.text).not.to.match(/^touchpoint_queue_/m);
  });
});

describe('GET /metrics', () => {
  const ctx = withTestContext();

  it('shows the queue as it stands: due, in flight, stale claims and the age of the oldest due invitation', async () => {
    const empty = await supertest(ctx.app).get('/metrics').expect(200);
    expect(empty.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(empty.headers['cache-control']).to.equal('no-store');
    expect(empty.headers['set-cookie']).to.equal(undefined);
    expect(sample(empty.text, 'touchpoint_queue_due')).to.equal(0);
    expect(sample(empty.text, 'touchpoint_queue_oldest_due_seconds')).to.equal(0);

    const now = ctx.clock.now().getTime();
    const ago = (minutes: number) => new Date(now - minutes * MINUTE);
    await seedInvitation(ctx, { sendAt: ago(10) }); // due for 10 minutes: the oldest
    await seedInvitation(ctx, { sendAt: ago(0) }); // due just now
    await seedInvitation(ctx, { sendAt: ago(-60) }); // due in an hour
    const waiting = await seedInvitation(ctx, { sendAt: ago(30) }); // failed once, retry in 5 minutes: not due
    await ctx.deps.db('invitations').where({ id: waiting.invitationId }).update({ next_attempt_at: toDbTime(ago(-5)), attempts: 1 });
    const retryDue = await seedInvitation(ctx, { sendAt: ago(3) }); // its retry time has come
    await ctx.deps.db('invitations').where({ id: retryDue.invitationId }).update({ next_attempt_at: toDbTime(ago(1)), attempts: 1 });
    const sending = await seedInvitation(ctx, { state: 'sending', sendAt: ago(20) });
    await ctx.deps.db('invitations').where({ id: sending.invitationId }).update({ claimed_at: toDbTime(ago(0)), claimed_by: 'w1' });
    const stale = await seedInvitation(ctx, { state: 'sending', sendAt: ago(20) });
    await ctx.deps.db('invitations').where({ id: stale.invitationId }).update({ claimed_at: toDbTime(ago(5)), claimed_by: 'w0' });
    await seedInvitation(ctx, { state: 'sent', sendAt: ago(40) });

    const res = await supertest(ctx.app).get('/metrics').expect(200);
    expect(sample(res.text, 'touchpoint_queue_due')).to.equal(3);
    expect(sample(res.text, 'touchpoint_queue_oldest_due_seconds')).to.equal(600);
    expect(sample(res.text, 'touchpoint_queue_in_flight')).to.equal(2);
    expect(sample(res.text, 'touchpoint_queue_stale_claims')).to.equal(1); // the lease is 60 s
    expect(sample(res.text, 'touchpoint_database_up')).to.equal(1);
    expect(sample(res.text, 'touchpoint_mail_up')).to.equal(1);

    ctx.clock.advance(2 * MINUTE);
    const later = await supertest(ctx.app).get('/metrics').expect(200);
    expect(sample(later.text, 'touchpoint_queue_due')).to.equal(3);
    expect(sample(later.text, 'touchpoint_queue_oldest_due_seconds')).to.equal(720);
    expect(sample(later.text, 'touchpoint_queue_stale_claims')).to.equal(2);
  });

  it("includes the worker's counters and Node's own figures", async () => {
    const before = sample((await supertest(ctx.app).get('/metrics')).text, 'touchpoint_sends_total', '{kind="invitation",outcome="failed"}') ?? 0;
    sendsTotal.inc({ kind: 'invitation', outcome: 'failed' });
    const res = await supertest(ctx.app).get('/metrics').expect(200);
    expect(sample(res.text, 'touchpoint_sends_total', '{kind="invitation",outcome="failed"}')).to.equal(before + 1);
    expect(res.text).to.include('# TYPE touchpoint_record_sent_retries_total counter');
    expect(res.text).to.include('# TYPE touchpoint_lost_claims_total counter');
    expect(res.text).to.match(/^process_cpu_user_seconds_total /m);
    expect(res.text).to.match(/^nodejs_eventloop_lag_seconds /m);
  });

  it('shows touchpoint_mail_up 0 while the mail server is down', async () => {
    const res = await supertest(createApp({ ...ctx.deps, mail: downMail })).get('/metrics').expect(200);
    expect(sample(res.text, 'touchpoint_mail_up')).to.equal(0);
  });

  it('refuses a request that came through a proxy, even on loopback', async () => {
    const res = await supertest(ctx.app).get('/metrics').set('X-Forwarded-For', '203.0.113.9').expect(403);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).to.include({ status: 403, type: 'https://touchpoint.dev/problems/forbidden' });
    expect(res.text).not.to.include('touchpoint_queue');
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const ctx = withTestContext({ env: { METRICS_TOKEN: TOKEN } });

  it('on loopback: without a header, or with the right token; a wrong token is refused', async () => {
    await supertest(ctx.app).get('/metrics').expect(200);
    await supertest(ctx.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    await supertest(ctx.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}0`).expect(403);
    await supertest(ctx.app).get('/metrics').set('Authorization', 'Bearer').expect(403);
    await supertest(ctx.app).get('/metrics').set('X-Forwarded-For', '203.0.113.9').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  });

  describe('from another machine', () => {
    let server: http.Server | undefined;
    let remote: supertest.Agent;
    before(function () {
      const address = externalAddress();
      if (!address) this.skip(); // no network interface but loopback here
      return new Promise<void>((resolve) => {
        server = http.createServer(ctx.app).listen(0, address, () => {
          remote = supertest.agent(`http://${address}:${(server!.address() as AddressInfo).port}`);
          resolve();
        });
      });
    });
    after(async () => {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    });

    it('/metrics needs the token', async () => {
      await remote.get('/metrics').expect(403);
      await remote.get('/metrics').set('Authorization', `Bearer ${TOKEN.toUpperCase()}`).expect(403);
      const res = await remote.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(sample(res.text, 'touchpoint_queue_due')).to.equal(0);
    });

    it('/healthz and /readyz answer anyone, /readyz without the errors', async () => {
      await remote.get('/healthz').expect(200, { status: 'ok' });
      const ready = await remote.get('/readyz').expect(200);
      expect(ready.body.checks.mail).not.to.have.property('lastError');
      const trusted = await remote.get('/readyz').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(trusted.body.checks.mail).to.have.property('lastError', null);
    });
  });
});

function pick<T extends object, K extends keyof T>(from: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<T, K>;
}
