import express from 'express';
import supertest from 'supertest';
import { expect } from 'chai';
import { type TestContext, withTestContext } from '../helpers/context.ts';
import { activeSurvey, seedInvitation, storeAnswer } from '../helpers/invitations.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { writeTransaction } from '../../server/db/dialect.ts';
import { updateSettings } from '../../server/settings/service.ts';
import { surveyMetrics } from '../../server/metrics/service.ts';
import { formatDifference, formatScore } from '../../server/dashboards/format.ts';
import { runWeeklyDigests } from '../../server/digest/service.ts';
import { dueWeekStart } from '../../server/digest/schedule.ts';

const TZ = 'Europe/Berlin';

/** An invitation sent at `at`, answered then (score, comment) unless score is null. */
async function sentAt(ctx: TestContext, at: string, surveyKey: string, metric: 'nps' | 'csat', score: number | null, comment: string | null = null) {
  ctx.clock.set(at);
  const seeded = await seedInvitation(ctx, { surveyKey, metric, state: 'sent' });
  if (score === null) return;
  await writeTransaction(ctx.deps.db, (trx) =>
    storeAnswer(
      trx,
      { survey_id: seeded.survey.id, invitation_id: seeded.invitationId, customer_id: seeded.customerId, score, comment, channel: 'email', answered_at: ctx.clock.now() },
      TZ,
    ),
  );
}

/** The part of the plain-text digest about one touchpoint. */
const section = (text: string, heading: string) => {
  const start = text.indexOf(`== ${heading} ==`);
  expect(start, `section ${heading}`).to.be.greaterThan(-1);
  const end = text.indexOf('\n== ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
};

describe('weekly digest', () => {
  let smtp: SmtpReceiver;
  before(async () => {
    smtp = await startSmtpReceiver();
  });
  const ctx = withTestContext(() => ({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_RATE_PER_SECOND: '1000', MAIL_FROM: 'Touchpoint <cx@example.com>' } }));
  after(async () => smtp?.close());
  let app: express.Express;
  before(async () => {
    app = ctx.app;
    await updateSettings(ctx.deps.db, { reporting_time_zone: TZ });
  });

  it('is due on Mondays from 07:00 in the reporting time zone', () => {
    expect(dueWeekStart(new Date('2026-11-30T05:59:59Z'), TZ)).to.equal(null); // 06:59 in Berlin
    expect(dueWeekStart(new Date('2026-11-30T06:00:00Z'), TZ)).to.equal('2026-11-30');
    expect(dueWeekStart(new Date('2026-11-30T22:59:00Z'), TZ)).to.equal('2026-11-30');
    expect(dueWeekStart(new Date('2026-11-30T23:00:00Z'), TZ)).to.equal(null); // Tuesday 00:00 in Berlin
    expect(dueWeekStart(new Date('2026-11-30T06:00:00Z'), 'America/New_York')).to.equal(null); // 01:00 there
    expect(dueWeekStart(new Date('2026-11-30T07:00:00Z'), 'UTC')).to.equal('2026-11-30');
  });

  it('a signed-in person opts in and out on /digest (CSRF checked)', async () => {
    const viewer = await ctx.signIn('viewer');
    const page = await viewer.agent.get('/digest').expect(200);
    expect(page.text).to.contain('Email me a weekly digest on Mondays');
    expect(page.text).not.to.match(/name="weekly"[^>]*checked/);
    await viewer.agent.post('/digest').type('form').send({ weekly: 'on' }).expect(403);
    await viewer.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: viewer.csrf }).expect(303).expect('Location', '/digest');
    expect((await viewer.agent.get('/digest').expect(200)).text).to.match(/name="weekly"[^>]*checked/);
    await viewer.agent.post('/digest').type('form').send({ _csrf: viewer.csrf }).expect(303);
    expect((await viewer.agent.get('/digest').expect(200)).text).not.to.match(/name="weekly"[^>]*checked/);
    await supertest(app).get('/digest').expect(303).expect('Location', '/login?next=%2Fdigest');
  });

  it('sends each opted-in active user, once a week on Monday from 07:00, the figures of the metrics service', async () => {
    ctx.clock.set('2026-11-01T10:00:00Z');
    await activeSurvey(ctx, { key: 'delivery-nps', metric: 'nps', touchpoint_name: 'Delivery' });
    await activeSurvey(ctx, { key: 'support-csat', metric: 'csat', touchpoint_name: 'Support' });

    // The week before (16–22 Nov, Berlin): NPS 10, 9, 3; CSAT 5, 2.
    await sentAt(ctx, '2026-11-16T09:00:00Z', 'delivery-nps', 'nps', 10);
    await sentAt(ctx, '2026-11-18T09:00:00Z', 'delivery-nps', 'nps', 9);
    await sentAt(ctx, '2026-11-22T22:00:00Z', 'delivery-nps', 'nps', 3, 'Old week comment'); // Sunday 23:00 in Berlin
    await sentAt(ctx, '2026-11-17T09:00:00Z', 'support-csat', 'csat', 5);
    await sentAt(ctx, '2026-11-19T09:00:00Z', 'support-csat', 'csat', 2);
    // The week shown (23–29 Nov, Berlin): NPS 10, 6, 2, 9, 8 and two unanswered; CSAT 4.
    await sentAt(ctx, '2026-11-22T23:30:00Z', 'delivery-nps', 'nps', 10, 'First of the week'); // Monday 00:30 in Berlin
    await sentAt(ctx, '2026-11-24T09:00:00Z', 'delivery-nps', 'nps', 6, 'Second comment');
    await sentAt(ctx, '2026-11-25T09:00:00Z', 'delivery-nps', 'nps', 2, 'Third comment');
    await sentAt(ctx, '2026-11-26T09:00:00Z', 'delivery-nps', 'nps', 9, 'Fourth comment');
    await sentAt(ctx, '2026-11-29T22:30:00Z', 'delivery-nps', 'nps', 8); // Sunday 23:30 in Berlin
    await sentAt(ctx, '2026-11-27T09:00:00Z', 'delivery-nps', 'nps', null);
    await sentAt(ctx, '2026-11-28T09:00:00Z', 'delivery-nps', 'nps', null);
    await sentAt(ctx, '2026-11-25T09:00:00Z', 'support-csat', 'csat', 4, 'Quick answer');
    // Already next week in Berlin (Monday 00:30): not in this digest.
    await sentAt(ctx, '2026-11-29T23:30:00Z', 'delivery-nps', 'nps', 0, 'Next week comment');

    ctx.clock.set('2026-11-29T12:00:00Z');
    const reader = await ctx.signIn('viewer', 'reader@example.com');
    await reader.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: reader.csrf }).expect(303);
    const leser = await ctx.signIn('editor', 'leser@example.com');
    await ctx.deps.db('users').where({ id: leser.userId }).update({ locale: 'de' });
    await leser.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: leser.csrf }).expect(303);
    const gone = await ctx.signIn('viewer', 'gone@example.com');
    await gone.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: gone.csrf }).expect(303);
    await ctx.deps.db('users').where({ id: gone.userId }).update({ deactivated_at: '2026-11-29T12:00:00.000Z' });
    await ctx.signIn('admin', 'not-subscribed@example.com');
    const sentBefore = smtp.messages.length;

    // Sunday, and Monday before 07:00 in Berlin (06:xx): nothing.
    expect((await runWeeklyDigests(ctx.deps)).sent).to.deep.equal([]);
    ctx.clock.set('2026-11-30T05:59:00Z');
    expect(await runWeeklyDigests(ctx.deps)).to.deep.equal({ weekStart: null, sent: [], failed: [] });
    expect(smtp.messages.length).to.equal(sentBefore);

    // Monday 07:00 in Berlin.
    ctx.clock.set('2026-11-30T06:00:00Z');
    const run = await runWeeklyDigests(ctx.deps);
    expect(run.weekStart).to.equal('2026-11-30');
    expect(run.sent.sort()).to.deep.equal([reader.userId, leser.userId].sort());
    const digests = smtp.messages.slice(sentBefore);
    expect(digests.map((m) => m.to[0]).sort()).to.deep.equal(['leser@example.com', 'reader@example.com']);

    const mail = digests.find((m) => m.to[0] === 'reader@example.com')!;
    expect(mail.parsed.from?.address).to.equal('cx@example.com');
    expect(mail.parsed.subject).to.equal('Touchpoint weekly digest, 23 Nov 2026 to 29 Nov 2026');
    expect(mail.header('message-id')).to.contain(`digest-${reader.userId}-2026-11-30@`);
    const text = mail.parsed.text ?? '';

    // The figures are those of the metrics service for the same days.
    const nps = await surveyMetrics(ctx.deps.db, { survey: 'delivery-nps', from: '2026-11-23', to: '2026-11-29', interval: 'week' });
    const npsBefore = await surveyMetrics(ctx.deps.db, { survey: 'delivery-nps', from: '2026-11-16', to: '2026-11-22', interval: 'week' });
    expect(nps.overall.n).to.equal(5);
    expect(npsBefore.overall.n).to.equal(3);
    const delivery = section(text, 'Delivery (NPS)');
    expect(delivery).to.contain(`Score: ${formatScore('nps', nps.overall.score)}\n`);
    expect(delivery).to.contain(`Change: ${formatDifference('nps', nps.overall.score! - npsBefore.overall.score!)}\n`);
    expect(delivery).to.contain('Score: 0\n'); // (2 promoters − 2 detractors) / 5
    expect(delivery).to.contain('Change: −33.3 points\n'); // from +33.3
    expect(delivery).to.contain('Responses: 5\n');
    // Response rate by the week sent: 5 of 7 sent 23–29 Nov (Berlin) were answered.
    expect(delivery).to.contain('Response rate: 71 % (5 of 7 invitations sent)');
    // Three newest comments of the week, newest first.
    expect(delivery).to.match(/- 9 · [^\n]*: Fourth comment\n- 2 · [^\n]*: Third comment\n- 6 · [^\n]*: Second comment\n/);
    expect(delivery).not.to.contain('First of the week');
    expect(text).not.to.contain('Next week comment');
    expect(text).not.to.contain('Old week comment');

    const csat = await surveyMetrics(ctx.deps.db, { survey: 'support-csat', from: '2026-11-23', to: '2026-11-29', interval: 'week' });
    const support = section(text, 'Support (CSAT)');
    expect(support).to.contain(`Score: ${formatScore('csat', csat.overall.score)}\n`);
    expect(support).to.contain('Score: 100 %\n');
    expect(support).to.contain('Change: +50.0 pp\n');
    expect(support).to.contain('Responses: 1\n');
    expect(support).to.contain('Quick answer');
    expect(mail.parsed.html).to.contain('Fourth comment');

    const german = digests.find((m) => m.to[0] === 'leser@example.com')!;
    expect(german.parsed.subject).to.equal('Touchpoint Wochenübersicht, 23. Nov. 2026 bis 29. Nov. 2026');
    expect(german.parsed.text).to.contain('Antworten: 5');
    // Numbers, units and dates for the German reader.
    expect(german.parsed.text).to.contain('Veränderung: −33,3 Punkte\n');
    expect(german.parsed.text).to.contain('Veränderung: +50,0 Prozentpunkte\n');
    expect(german.parsed.text).to.contain('Antwortquote: 71 %');
    expect(german.parsed.text).to.match(/- 9 · \d{1,2}\. Nov\. 2026, \d\d:\d\d: Fourth comment\n/);
    expect(text).to.match(/- 9 · \d{1,2} Nov 2026, \d\d:\d\d: Fourth comment\n/);

    // Never twice in a week: later that Monday, after opting out and in again, on Tuesday.
    ctx.clock.set('2026-11-30T15:00:00Z');
    expect((await runWeeklyDigests(ctx.deps)).sent).to.deep.equal([]);
    await reader.agent.post('/digest').type('form').send({ _csrf: reader.csrf }).expect(303);
    await reader.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: reader.csrf }).expect(303);
    const [a, b] = await Promise.all([runWeeklyDigests(ctx.deps), runWeeklyDigests(ctx.deps)]);
    expect([...a.sent, ...b.sent]).to.deep.equal([]);
    ctx.clock.set('2026-12-01T08:00:00Z');
    expect((await runWeeklyDigests(ctx.deps)).weekStart).to.equal(null);
    expect(smtp.messages.length).to.equal(sentBefore + 2);

    // The next Monday: again, once; an opted-out person gets nothing.
    await leser.agent.post('/digest').type('form').send({ _csrf: leser.csrf }).expect(303);
    ctx.clock.set('2026-12-07T06:30:00Z');
    expect((await runWeeklyDigests(ctx.deps)).sent).to.deep.equal([reader.userId]);
    expect((await runWeeklyDigests(ctx.deps)).sent).to.deep.equal([]);
    const next = smtp.messages.slice(sentBefore + 2);
    expect(next.map((m) => m.to[0])).to.deep.equal(['reader@example.com']);
    expect(next[0].parsed.subject).to.equal('Touchpoint weekly digest, 30 Nov 2026 to 6 Dec 2026');
    expect(next[0].parsed.text).to.contain('Next week comment');
  });

  it('gives the week back when the SMTP server fails for a while, and sends on the next pass', async () => {
    const flaky = await ctx.signIn('viewer', 'flaky@example.com');
    await flaky.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: flaky.csrf }).expect(303);
    ctx.clock.set('2026-12-14T07:00:00Z');
    smtp.refuse('flaky@example.com', 451);
    const failed = await runWeeklyDigests(ctx.deps);
    expect(failed.failed).to.deep.equal([flaky.userId]);
    smtp.accept('flaky@example.com');
    expect((await runWeeklyDigests(ctx.deps)).sent).to.deep.equal([flaky.userId]);
    expect((await runWeeklyDigests(ctx.deps)).sent).to.deep.equal([]);
    expect(smtp.messages.filter((m) => m.to.includes('flaky@example.com'))).to.have.length(1);
  });
});

describe('weekly digest in the whole app', () => {
  const ctx = withTestContext();

  it('serves /digest to every role', async function () {
    const viewer = await ctx.signIn('viewer');
    const res = await viewer.agent.get('/digest');
    expect(res.status).to.equal(200);
    await viewer.agent.post('/digest').type('form').send({ weekly: 'on', _csrf: viewer.csrf }).expect(303);
    expect((await viewer.agent.get('/digest').expect(200)).text).to.match(/name="weekly"[^>]*checked/);
  });
});
