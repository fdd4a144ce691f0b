import { expect } from 'chai';
import supertest from 'supertest';
import { withTestContext } from '../helpers/context.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { MINUTE } from '../../server/clock.ts';

/**
 * The whole path through real parts: an API key and a survey, an event posted,
 * the worker sending over SMTP to a receiver on loopback, the real email read
 * and its score link followed, the answer given on the page, the metrics API read.
 */
describe('the core loop: event in, email out, answer in, score on the dashboard', function () {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver();
  });
  const ctx = withTestContext(() => ({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } }));
  before(() => ctx.clock.set('2026-11-23T10:00:00Z'));
  after(async () => smtp?.close());

  it('takes a customer from a transaction to a counted score', async () => {
    await ctx.api
      .post('/api/v1/surveys')
      .send({
        key: 'delivery-nps',
        touchpoint: 'delivery',
        metric: 'nps',
        status: 'active',
        send_delay_minutes: 30,
        question: { en: 'How likely are you to recommend our delivery?', de: 'Wie wahrscheinlich empfehlen Sie unsere Lieferung?' },
      })
      .expect(201);

    const event = await ctx.api
      .post('/api/v1/events')
      .send({
        touchpoint: 'delivery',
        transaction_id: 'order-1001',
        customer: { id: 'c-42', email: 'ada@example.com', name: 'Ada', locale: 'de-DE', time_zone: 'Europe/Berlin' },
        properties: { region: 'north' },
      })
      .expect(202);
    expect(event.body.status).to.equal('scheduled');
    expect(event.body.send_at).to.equal('2026-11-23T10:30:00.000Z');

    // The same event again: the first answer, nothing new.
    const again = await ctx.api.post('/api/v1/events').send({
      touchpoint: 'delivery',
      transaction_id: 'order-1001',
      customer: { id: 'c-42', email: 'ada@example.com' },
    });
    expect(again.status).to.equal(200);
    expect(again.body.invitation_id).to.equal(event.body.invitation_id);

    // Not due yet: nothing goes out.
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([]);
    ctx.clock.advance(31 * MINUTE);
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([event.body.invitation_id]);

    expect(smtp.messages).to.have.length(1);
    const mail = smtp.messages[0];
    expect(mail.to).to.deep.equal(['ada@example.com']);
    expect(mail.parsed.subject).to.be.a('string').and.not.equal('');
    expect(mail.parsed.text).to.contain('Wie wahrscheinlich empfehlen Sie unsere Lieferung?');
    expect(mail.header('list-unsubscribe-post')).to.equal('List-Unsubscribe=One-Click');

    const links = [...(mail.parsed.html ?? '').matchAll(/href="http:\/\/127\.0\.0\.1:3000(\/r\/[^"?]+)\?score=(\d+)"/g)];
    expect(links.map((m) => Number(m[2]))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const path = links[0][1];

    // The customer opens the score link a few minutes later: the page, score 9 chosen, nothing stored yet.
    ctx.clock.advance(5 * MINUTE);
    const page = await supertest(ctx.app).get(`${path}?score=9`).expect(200);
    expect(page.text).to.match(/value="9"[^>]*checked|checked[^>]*value="9"/);
    expect(await ctx.deps.db('responses').count({ n: '*' }).first()).to.satisfy((r: { n: unknown }) => Number(r.n) === 0);

    await supertest(ctx.app)
      .post(path)
      .type('form')
      .send({ score: '9', comment: 'Schnell und freundlich', trigger: 'click', input: 'pointer' })
      .expect(200);

    const metrics = await ctx.api.get('/api/v1/metrics?survey=delivery-nps&interval=week').expect(200);
    expect(metrics.body.metric).to.equal('nps');
    expect(metrics.body.overall).to.include({ n: 1, promoters: 1, passives: 0, detractors: 0, score: 100 });
    expect(metrics.body.series).to.have.length(1);
    expect(metrics.body.series[0].start).to.equal('2026-11-23');

    const stored = await ctx.deps.db('responses').first();
    expect(stored.comment).to.equal('Schnell und freundlich');
    expect(JSON.parse(stored.properties)).to.deep.equal({ region: 'north' });
    const invitation = await ctx.deps.db('invitations').where({ id: event.body.invitation_id }).first();
    expect(invitation.state).to.equal('responded');
  });
});
