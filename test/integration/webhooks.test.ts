import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import supertest from 'supertest';
import { Webhook } from 'standardwebhooks';
import { withTestContext, createTestContext } from '../helpers/context.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { deliverDueWebhooks, RETRY_DELAYS_MS } from '../../server/webhooks/delivery.ts';
import { isPublicAddress } from '../../server/webhooks/address-guard.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { MAX_ATTEMPTS } from '../../server/sending/failures.ts';
import { webhookData, webhookMessage } from '../../server/openapi/webhook-payloads.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback endpoint that records each POST and answers the next status of `statuses` (then 200). */
async function startReceiver() {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end(res.statusCode === 200 ? 'thanks' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { received, statuses, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('webhooks: subscribe, signed delivery of what happens, retries', function () {
  this.timeout(30_000);
  const ctx = withTestContext(() => ({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } }));
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeEach(async () => {
    receiver = await startReceiver();
    // Each test with its own endpoints (and mailbox).
    await ctx.deps.db('mailbox_messages').del();
    await ctx.deps.db('webhook_attempts').del();
    await ctx.deps.db('webhook_messages').del();
    await ctx.deps.db('webhook_endpoints').del();
  });
  afterEach(async () => {
    await receiver.close();
    // Every message any test received is what the OpenAPI document says it is.
    for (const r of receiver.received) {
      const message = JSON.parse(r.body) as { type: keyof typeof webhookData };
      expect(webhookData, message.type).to.have.property(message.type);
      const parsed = webhookMessage(message.type).safeParse(message);
      expect(parsed.success, `${message.type}: ${parsed.error?.message}`).to.equal(true);
    }
  });

  const subscribe = async (events: string[]) => (await ctx.api.post('/api/v1/webhooks').send({ url: receiver.url, events, description: 'CRM' }).expect(201)).body;

  /** A person answers the invitation's email link: settled at once. */
  async function answer(score: number, comment: string) {
    const seeded = await seedInvitation(ctx, { state: 'sent', sentAt: ctx.clock.now(), properties: { region: 'north' } });
    const agent = supertest(ctx.app);
    const page = await agent.get(`/r/${seeded.token}?score=${score}`).expect(200);
    const view = /name="view" value="(\d+)"/.exec(page.text)?.[1];
    await agent.post(`/r/${seeded.token}`).type('form').send({ score: String(score), comment, trigger: 'click', input: 'pointer', view }).expect(200);
    return seeded;
  }

  it('creates an endpoint with a whsec_ secret shown once, lists, changes and removes it', async () => {
    const created = await subscribe(['response.created', 'invitation.sent']);
    expect(created).to.include({ url: receiver.url, description: 'CRM', enabled: true });
    expect(created.events).to.deep.equal(['response.created', 'invitation.sent']);
    expect(created.secret).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).to.be.at.least(24);
    const listed = (await ctx.api.get('/api/v1/webhooks').expect(200)).body.webhooks;
    expect(listed).to.have.length(1);
    expect(listed[0]).to.not.have.property('secret');
    const changed = (await ctx.api.patch(`/api/v1/webhooks/${created.id}`).send({ events: ['response.updated'], enabled: false }).expect(200)).body;
    expect(changed).to.include({ enabled: false, disabled_reason: 'Turned off' });
    expect(changed.events).to.deep.equal(['response.updated']);
    await ctx.api.delete(`/api/v1/webhooks/${created.id}`).expect(204);
    await ctx.api.get(`/api/v1/webhooks/${created.id}`).expect(404);
  });

  it('refuses a bad body naming the field', async () => {
    const bad = async (body: unknown, field: string) => {
      const res = await ctx.api.post('/api/v1/webhooks').send(body as object).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.include(field);
    };
    await bad({ url: 'not a url', events: ['response.created'] }, 'url');
    await bad({ url: 'ftp://example.com/x', events: ['response.created'] }, 'url');
    await bad({ url: receiver.url, events: [] }, 'events');
    await bad({ url: receiver.url, events: ['response.deleted'] }, 'events.0');
  });

  it('sends a settled answer as response.created, signed the Standard Webhooks way, once', async () => {
    const { secret } = await subscribe(['response.created']);
    const seeded = await answer(3, 'Late again');
    expect((await deliverDueWebhooks(ctx.deps)).delivered).to.equal(1);
    expect(receiver.received).to.have.length(1);
    const [got] = receiver.received;
    // The receiver's check, as the README shows it: throws on a bad signature or an old timestamp.
    const verified = new Webhook(secret).verify(got.body, got.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(verified.type).to.equal('response.created');
    expect(verified.data).to.deep.include({ survey: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', score: 3, score_group: 'detractor', comment: 'Late again', invitation_id: seeded.invitationId });
    expect(verified.data.customer).to.deep.include({ email: seeded.email });
    expect(verified.data.properties).to.deep.equal({ region: 'north' });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(got.body, got.headers as Record<string, string>)).to.throw();
    // Nothing more to send.
    expect((await deliverDueWebhooks(ctx.deps)).delivered).to.equal(0);
    expect(receiver.received).to.have.length(1);
  });

  it('retries a failed delivery with growing delays and the same webhook-id, and lists every attempt', async () => {
    const { id } = await subscribe(['response.created']);
    await answer(9, 'Great');
    receiver.statuses.push(500, 503);
    expect((await deliverDueWebhooks(ctx.deps)).retried).to.equal(1);
    // Not due again before its delay.
    ctx.clock.advance(RETRY_DELAYS_MS[0] - 1000);
    expect((await deliverDueWebhooks(ctx.deps)).retried).to.equal(0);
    ctx.clock.advance(1000);
    expect((await deliverDueWebhooks(ctx.deps)).retried).to.equal(1);
    ctx.clock.advance(RETRY_DELAYS_MS[1]);
    expect((await deliverDueWebhooks(ctx.deps)).delivered).to.equal(1);
    expect(receiver.received).to.have.length(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).to.equal(1);
    const [message] = (await ctx.api.get(`/api/v1/webhooks/${id}/messages`).expect(200)).body.messages;
    expect(message).to.include({ state: 'delivered', attempts: 3, type: 'response.created' });
    expect(message.tries.map((t: { status: number }) => t.status)).to.deep.equal([500, 503, 200]);
    expect(message.tries[0].response).to.equal('not now');
    // Sent again on request: a new attempt, the same webhook-id.
    await ctx.api.post(`/api/v1/webhooks/${id}/messages/${message.id}/resend`).expect(202);
    expect((await deliverDueWebhooks(ctx.deps)).delivered).to.equal(1);
    expect(receiver.received[3].headers['webhook-id']).to.equal(message.message_id);
  });

  it('turns an endpoint off when it answers 410 Gone', async () => {
    const { id } = await subscribe(['response.created']);
    await answer(7, 'Fine');
    receiver.statuses.push(410);
    expect((await deliverDueWebhooks(ctx.deps)).failed).to.equal(1);
    const endpoint = (await ctx.api.get(`/api/v1/webhooks/${id}`).expect(200)).body;
    expect(endpoint.enabled).to.equal(false);
    expect(endpoint.disabled_reason).to.match(/410/);
    // Later events are not queued for it.
    await answer(8, 'Ok');
    const [{ n }] = await ctx.deps.db('webhook_messages').where({ endpoint_id: id }).count({ n: '*' });
    expect(Number(n)).to.equal(1);
    await deliverDueWebhooks(ctx.deps);
    expect(receiver.received).to.have.length(1);
    // The admins are told (the development mailbox here), in their language.
    const mails = await ctx.deps.db('mailbox_messages').where('subject', 'like', 'A webhook was turned off%');
    expect(mails.map((m) => m.to)).to.deep.equal(['admin@example.com']);
    expect(mails[0].text).to.contain('410 Gone').and.to.contain(`/webhooks/${id}`);
  });

  it('turns an endpoint off that has failed every delivery for 5 days, and tells the admins', async () => {
    const { id } = await subscribe(['response.created']);
    receiver.statuses.push(...Array(20).fill(500));
    await answer(9, 'Good');
    expect((await deliverDueWebhooks(ctx.deps)).retried).to.equal(1);
    expect((await ctx.api.get(`/api/v1/webhooks/${id}`).expect(200)).body.failing_since).to.equal(ctx.clock.now().toISOString());
    // Four days on it still fails, and is still on.
    ctx.clock.advance(4 * 86_400_000);
    await answer(8, 'Fine');
    await deliverDueWebhooks(ctx.deps);
    expect((await ctx.api.get(`/api/v1/webhooks/${id}`).expect(200)).body.enabled).to.equal(true);
    // Past five days: the next failure turns it off.
    ctx.clock.advance(86_400_000);
    await deliverDueWebhooks(ctx.deps);
    const endpoint = (await ctx.api.get(`/api/v1/webhooks/${id}`).expect(200)).body;
    expect(endpoint.enabled).to.equal(false);
    expect(endpoint.disabled_reason).to.match(/failed for 5 days/);
    const mails = await ctx.deps.db('mailbox_messages').where('subject', 'like', 'A webhook was turned off%');
    expect(mails).to.have.length(1);
    expect(mails[0].text).to.contain('failed for 5 days');
  });

  it('sends a test event on request, and invitation.sent when the worker marks an invitation sent', async () => {
    const { id, secret } = await subscribe(['invitation.sent']);
    const { message_id } = (await ctx.api.post(`/api/v1/webhooks/${id}/test`).expect(202)).body;
    await deliverDueWebhooks(ctx.deps);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).to.deep.equal([message_id]);
    const verify = (r: Received) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(verify(receiver.received[0]).type).to.equal('webhook.test');
    // The worker sends an invitation (into the development mailbox): its webhook goes out with it.
    const seeded = await seedInvitation(ctx, { properties: { region: 'south' } });
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    await deliverDueWebhooks(ctx.deps);
    const sent = verify(receiver.received[1]);
    expect(sent.type).to.equal('invitation.sent');
    expect(sent.data).to.deep.include({ invitation_id: seeded.invitationId, survey: 'delivery-nps', touchpoint: 'delivery' });
    expect(sent.data.customer).to.deep.include({ email: seeded.email });
  });

  it('tells of a detractor comment to follow up, its follow-up done, and an unsubscribe, each once', async () => {
    const { secret } = await subscribe(['followup.created', 'followup.closed', 'customer.unsubscribed']);
    const types = async () => {
      await deliverDueWebhooks(ctx.deps);
      return receiver.received.map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> });
    };
    // A promoter's comment is no follow-up; a detractor's is.
    await answer(10, 'Lovely');
    const seeded = await answer(2, 'Broken on arrival');
    let events = await types();
    expect(events.map((e) => e.type)).to.deep.equal(['followup.created']);
    const responseId = events[0].data.response_id;
    expect(events[0].data.response).to.deep.include({ score: 2, comment: 'Broken on arrival', score_group: 'detractor' });
    // An editor marks it followed up on the Follow-ups page.
    const editor = await ctx.signIn('editor');
    await editor.agent.post(`/follow-ups/${responseId}/done`).type('form').send({ _csrf: editor.csrf, note: 'Called her, sent a new one' }).expect(303);
    // The customer unsubscribes from everything with the email's link; a second click changes nothing.
    await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send({ scope: 'all' }).expect(200);
    await supertest(ctx.app).post(`/u/${seeded.token}`).type('form').send({ scope: 'all' }).expect(200);
    events = await types();
    expect(events.map((e) => e.type)).to.deep.equal(['followup.created', 'followup.closed', 'customer.unsubscribed']);
    expect(events[1].data).to.deep.include({ response_id: responseId, note: 'Called her, sent a new one' });
    expect(events[2].data).to.deep.include({ scope: 'all', touchpoint: null });
    expect(events[2].data.customer).to.deep.include({ email: seeded.email });
  });

  it('posts a survey\'s alerts to Slack and to Teams, formatted for each, under its rule', async () => {
    const slack = (await ctx.api.post('/api/v1/webhooks').send({ url: `${receiver.url}/slack`, kind: 'slack', survey: 'delivery-nps' }).expect(201)).body;
    expect(slack).to.include({ kind: 'slack', survey: 'delivery-nps' });
    expect(slack.alert).to.deep.equal({ scores: 'detractors', needs_comment: true });
    expect(slack).to.not.have.property('secret');
    await ctx.api
      .post('/api/v1/webhooks')
      .send({ url: `${receiver.url}/teams`, kind: 'teams', survey: 'delivery-nps', alert: { scores: 'passives_and_detractors', needs_comment: false } })
      .expect(201);
    const refused = await ctx.api.post('/api/v1/webhooks').send({ url: `${receiver.url}/x`, kind: 'slack' }).expect(422);
    expect(refused.body.errors[0].field).to.equal('survey');
    // A promoter alerts neither; a passive without a comment alerts Teams only; a detractor with a comment both.
    await answer(10, 'Great');
    await answer(7, '');
    await answer(1, 'Never arrived <b>at all</b>');
    await deliverDueWebhooks(ctx.deps);
    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    const slackBodies = bodies.filter((b) => 'blocks' in b);
    const teamsBodies = bodies.filter((b) => b.type === 'message');
    expect(slackBodies).to.have.length(1);
    expect(teamsBodies).to.have.length(2);
    expect(slackBodies[0].text).to.contain('NPS 1 (detractor) on delivery').and.to.contain('Never arrived');
    expect(slackBodies[0].blocks[0].text.text).to.contain('&lt;b&gt;');
    expect(slackBodies[0].blocks[2].elements[0].url).to.equal('http://127.0.0.1:3000/follow-ups?survey=delivery-nps');
    const card = teamsBodies[1].attachments[0];
    expect(card.contentType).to.equal('application/vnd.microsoft.card.adaptive');
    expect(card.content.type).to.equal('AdaptiveCard');
    expect(card.content.body[1].text).to.equal('Never arrived <b>at all</b>');
    expect(teamsBodies[0].attachments[0].content.body[0].text).to.contain('NPS 7 (passive)');
    // No Standard Webhooks headers to a chat.
    for (const r of receiver.received) expect(r.headers).to.not.have.property('webhook-signature');
    receiver.received.length = 0;
  });

  it('two workers delivering at once send each message once', async () => {
    const { id } = await subscribe(['response.created']);
    for (let i = 0; i < 12; i++) await ctx.api.post(`/api/v1/webhooks/${id}/test`).expect(202);
    const [a, b] = await Promise.all([deliverDueWebhooks(ctx.deps, 'worker-a'), deliverDueWebhooks(ctx.deps, 'worker-b')]);
    expect(a.delivered + b.delivered).to.equal(12);
    expect(receiver.received).to.have.length(12);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).to.equal(12);
    expect((await deliverDueWebhooks(ctx.deps)).delivered).to.equal(0);
  });

  it('does not follow a redirect: a 3xx is a failed attempt, retried later', async () => {
    const { id } = await subscribe(['response.created']);
    receiver.statuses.push(302);
    await ctx.api.post(`/api/v1/webhooks/${id}/test`).expect(202);
    expect((await deliverDueWebhooks(ctx.deps)).retried).to.equal(1);
    expect(receiver.received).to.have.length(1);
    const [message] = (await ctx.api.get(`/api/v1/webhooks/${id}/messages`).expect(200)).body.messages;
    expect(message).to.include({ state: 'pending', attempts: 1 });
    expect(message.tries[0].status).to.equal(302);
  });

  it('sends response.updated when the person changes the answer within the edit window', async () => {
    const { secret } = await subscribe(['response.updated']);
    const seeded = await answer(3, 'Late again');
    const agent = supertest(ctx.app);
    const page = await agent.get(`/r/${seeded.token}?score=6`).expect(200);
    const view = /name="view" value="(\d+)"/.exec(page.text)?.[1];
    await agent.post(`/r/${seeded.token}`).type('form').send({ score: '6', comment: 'It came after all', trigger: 'click', input: 'pointer', view }).expect(200);
    await deliverDueWebhooks(ctx.deps);
    expect(receiver.received).to.have.length(1);
    const event = new Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(event.type).to.equal('response.updated');
    expect(event.data).to.deep.include({ score: 6, score_group: 'detractor', comment: 'It came after all', invitation_id: seeded.invitationId });
  });

  it('sends invitation.failed when the worker gives an invitation up, with the error', async () => {
    const { secret } = await subscribe(['invitation.failed']);
    const seeded = await seedInvitation(ctx, { properties: { region: 'east' } });
    // A send that crashed its worker every time: the claim gives it up.
    const stale = new Date(ctx.clock.now().getTime() - 2 * ctx.deps.config.workerLeaseMs).toISOString();
    await ctx.deps.db('invitations').where({ id: seeded.invitationId }).update({ state: 'sending', attempts: MAX_ATTEMPTS, claimed_at: stale, claimed_by: 'gone:1' });
    expect((await runOnce(ctx.deps)).failed).to.deep.equal([seeded.invitationId]);
    await deliverDueWebhooks(ctx.deps);
    const event = new Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(event.type).to.equal('invitation.failed');
    expect(event.data).to.deep.include({ invitation_id: seeded.invitationId, survey: 'delivery-nps' });
    expect(String(event.data.error)).to.match(/given up/);
  });

  it('signs with both secrets while a rotated one overlaps', async () => {
    const { id, secret: old } = await subscribe(['response.created']);
    const { secret: rotated } = (await ctx.api.patch(`/api/v1/webhooks/${id}`).send({ rotate_secret: true }).expect(200)).body;
    expect(rotated).to.match(/^whsec_/).and.not.equal(old);
    await answer(10, 'Perfect');
    await deliverDueWebhooks(ctx.deps);
    const [got] = receiver.received;
    expect(String(got.headers['webhook-signature']).split(' ')).to.have.length(2);
    for (const s of [old, rotated]) expect(() => new Webhook(s).verify(got.body, got.headers as Record<string, string>)).to.not.throw();
  });
});

describe('webhooks: never to a private address unless allowed', function () {
  this.timeout(30_000);

  it('tells public addresses from loopback, private, link-local and metadata ones', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1']) {
      expect(isPublicAddress(a), a).to.equal(false);
    }
    for (const a of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(a), a).to.equal(true);
  });

  it('refuses http:// and private hosts when saved, and a name resolving to loopback at delivery', async () => {
    const ctx = await createTestContext();
    try {
      for (const url of ['http://example.com/hooks', 'https://127.0.0.1/hooks', 'https://localhost/hooks', 'https://[::1]/x', 'https://169.254.169.254/latest']) {
        const res = await ctx.api.post('/api/v1/webhooks').send({ url, events: ['response.created'] }).expect(422);
        expect(res.body.errors[0].field, url).to.equal('url');
      }
      // At delivery the address is checked again: a name that resolves to loopback (as a public name may, later,
      // by DNS rebinding), and an address literal. Refused before any connection.
      const { id } = (await ctx.api.post('/api/v1/webhooks').send({ url: 'https://hooks.example.com/touchpoint', events: ['response.created'] }).expect(201)).body;
      for (const url of ['https://localhost:1/hooks', 'https://127.0.0.1:1/hooks']) {
        await ctx.deps.db('webhook_endpoints').where({ id }).update({ url });
        await ctx.deps.db('webhook_messages').del();
        await ctx.api.post(`/api/v1/webhooks/${id}/test`).expect(202);
        expect((await deliverDueWebhooks(ctx.deps)).retried, url).to.equal(1);
        const [message] = (await ctx.api.get(`/api/v1/webhooks/${id}/messages`).expect(200)).body.messages;
        expect(message.tries[0].status, url).to.equal(null);
        expect(message.tries[0].error, url).to.match(/loopback, private, link-local or metadata/);
      }
    } finally {
      await ctx.close();
    }
  });
});
