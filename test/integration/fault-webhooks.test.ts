import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import supertest from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { startTouchpoint, waitUntil, type TouchpointProcess } from '../helpers/touchpoint-process.ts';
import { ManualClock } from '../../server/clock.ts';

interface Delivery {
  id: string;
  at: number;
  /** Answered (2xx); false for a request the receiver was still holding when its sender died. */
  answered: boolean;
}

/**
 * A loopback webhook receiver that verifies every signature with `standardwebhooks` and records each
 * request's webhook-id. While `hold` is on it answers nothing (a slow receiver: the sender is mid-delivery).
 */
async function startReceiver(secret: () => string) {
  const deliveries: Delivery[] = [];
  const held: http.ServerResponse[] = [];
  const state = { hold: false, delayMs: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      new Webhook(secret()).verify(body, req.headers as Record<string, string>);
      const delivery: Delivery = { id: String(req.headers['webhook-id']), at: Date.now(), answered: false };
      deliveries.push(delivery);
      if (state.hold) {
        held.push(res);
        return;
      }
      setTimeout(() => {
        delivery.answered = true;
        res.end('thanks');
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    deliveries,
    state,
    url,
    close: () => {
      held.forEach((res) => res.destroy());
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Issue 14, "delivered at least once, never lost; several workers never send one attempt twice", with real
 * `touchpoint worker` processes on one database: two at once deliver each message once; one killed in the
 * middle of its deliveries leaves them to the next, which sends them once its lease has run out, with the
 * same webhook-id, and nothing else twice.
 */
describe('fault: webhook delivery across worker processes', function () {
  this.timeout(60_000);
  const LEASE_SECONDS = 3;
  const MESSAGES = 16;
  let ctx: TestContext | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  let workers: TouchpointProcess[] = [];

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') workers.forEach((w, i) => console.log(`worker ${i + 1}'s last output:\n${w.tail()}`));
    await Promise.all(workers.map((w) => w.kill()));
    workers = [];
    await receiver?.close();
    receiver = undefined;
    await ctx?.close();
    ctx = undefined;
  });

  /** A context whose clock is a minute behind (so what it writes is due for the processes), an endpoint, and MESSAGES answers to deliver. */
  async function answered(): Promise<{ ctx: TestContext; receiver: NonNullable<typeof receiver>; ids: number[] }> {
    const c = (ctx = await createTestContext({ clock: new ManualClock(new Date(Date.now() - 60_000)), env: { WEBHOOK_ALLOW_PRIVATE: 'true' } }));
    let secret = '';
    const r = (receiver = await startReceiver(() => secret));
    secret = (await c.api.post('/api/v1/webhooks').send({ url: r.url, events: ['response.created'] }).expect(201)).body.secret;
    for (let i = 0; i < MESSAGES; i++) {
      const seeded = await seedInvitation(c, { state: 'sent', sentAt: c.clock.now() });
      // A person's answer (opened, then Send): settled at once, so its response.created is due now.
      const agent = supertest(c.app);
      const page = await agent.get(`/r/${seeded.token}?score=${i % 11}`).expect(200);
      const view = /name="view" value="(\d+)"/.exec(page.text)?.[1];
      await agent.post(`/r/${seeded.token}`).type('form').send({ score: String(i % 11), comment: '', trigger: 'click', input: 'pointer', view }).expect(200);
    }
    const ids = (await c.deps.db('webhook_messages').select('id').orderBy('id')).map((m) => Number(m.id));
    expect(ids, 'messages in the outbox').to.have.length(MESSAGES);
    return { ctx: c, receiver: r, ids };
  }

  const env = { WEBHOOK_ALLOW_PRIVATE: 'true', WORKER_LEASE_SECONDS: String(LEASE_SECONDS), WORKER_INTERVAL_MS: '100' };

  async function allDelivered(c: TestContext, ids: number[], withinMs: number) {
    await waitUntil(`all ${ids.length} messages delivered`, withinMs, async () => {
      const left = await c.deps.db('webhook_messages').whereIn('id', ids).whereNot({ state: 'delivered' }).count({ n: '*' }).first();
      return Number(left?.n) === 0;
    });
  }

  it('two workers at once: every message arrives once, with one attempt recorded', async () => {
    const { ctx: c, receiver: r, ids } = await answered();
    r.state.delayMs = 50;
    workers.push(startTouchpoint('worker', c, env), startTouchpoint('worker', c, env));
    await allDelivered(c, ids, 30_000);
    const messageIds = (await c.deps.db('webhook_messages').whereIn('id', ids).pluck('message_id')).map(String).sort();
    expect(r.deliveries.map((d) => d.id).sort(), 'webhook-ids received').to.deep.equal(messageIds);
    const attempts = await c.deps.db('webhook_attempts').whereIn('message_id', ids).select('message_id', 'status');
    expect(attempts, 'one attempt a message').to.have.length(MESSAGES);
    expect(attempts.every((a) => a.status === 200)).to.equal(true);
  });

  it('a worker killed mid-delivery: the next one delivers its messages after the lease, same webhook-id, nothing else twice', async () => {
    const { ctx: c, receiver: r, ids } = await answered();
    r.state.hold = true;
    const first = startTouchpoint('worker', c, env);
    workers.push(first);
    await waitUntil('the first worker is mid-delivery', 20_000, () => r.deliveries.length >= 5, 10);
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await first.exited).signal).to.equal('SIGKILL');
    const inFlight = new Set(r.deliveries.map((d) => d.id));
    const stranded = await c.deps.db('webhook_messages').whereIn('id', ids).where({ state: 'pending' }).whereNotNull('claimed_by');
    expect(stranded, 'messages the killed worker held').to.have.length(MESSAGES);
    expect(await c.deps.db('webhook_attempts').whereIn('message_id', ids).count({ n: '*' }).first().then((x) => Number(x?.n)), 'attempts recorded by the dead worker').to.equal(0);

    r.state.hold = false;
    const before = r.deliveries.length;
    workers.push(startTouchpoint('worker', c, env));
    await allDelivered(c, ids, LEASE_SECONDS * 1000 + 15_000);
    const again = r.deliveries.slice(before);
    // Not taken over while the lease could still be the dead worker's (renewed at most a third of a lease before the kill).
    for (const d of again) expect(d.at - killedAt, `${d.id} sent again after the kill (ms)`).to.be.at.least((LEASE_SECONDS * 1000 * 2) / 3 - 200);
    // Every message arrived answered exactly once; the only ones seen twice are those the dead worker had in flight, with the same webhook-id.
    const messageIds = (await c.deps.db('webhook_messages').whereIn('id', ids).pluck('message_id')).map(String).sort();
    expect(again.map((d) => d.id).sort(), 'delivered by the second worker').to.deep.equal(messageIds);
    expect(again.every((d) => d.answered)).to.equal(true);
    for (const d of r.deliveries.slice(0, before)) expect(inFlight.has(d.id) && messageIds.includes(d.id), `${d.id} was in flight at the kill`).to.equal(true);
    const attempts = await c.deps.db('webhook_attempts').whereIn('message_id', ids).select('message_id', 'status');
    expect(attempts, 'one attempt a message').to.have.length(MESSAGES);
  });
});
