import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import type { Browser } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, launchChromium, makeArtifactsDir, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { activeSurvey, seedInvitation } from '../helpers/invitations.ts';
import { ManualClock, HOUR } from '../../server/clock.ts';
import { startWorker } from '../../server/jobs.ts';

const artifacts = artifactsPath();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A short settle window, so the tests can wait it out. */
const SETTLE_SECONDS = 8;

/** Real time: the judgments are about seconds between real requests. */
class LiveClock extends ManualClock {
  override now(): Date {
    return new Date();
  }
}

describe('survey page in a browser: link scanners and people', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let base: string;
  let browser: Browser;
  let smtp: SmtpReceiver;
  let worker: { stop(): Promise<void> };

  before(async function () {
    skipWithoutChromium(this, { quiet: true });
    smtp = await startSmtpReceiver();
    served = await serveApp();
    base = served.base;
    ctx = await createTestContext({
      clock: new LiveClock(),
      env: { ANSWER_SETTLE_SECONDS: String(SETTLE_SECONDS), WORKER_INTERVAL_MS: '200', BASE_URL: base, SMTP_URL: `smtp://127.0.0.1:${smtp.port}` },
    });
    served.server.on('request', ctx.app);
    browser = await launchChromium();
    // The real worker: it sends the email and settles held answers.
    worker = startWorker(ctx.deps);
  });

  after(async () => {
    await worker?.stop();
    await browser?.close();
    await served?.close();
    await ctx?.close();
    await smtp?.close();
  });

  const sentAnHourAgo = () => seedInvitation(ctx, { state: 'sent', sentAt: new Date(Date.now() - HOUR) });
  const responsesOf = (invitationId: number) => ctx.deps.db('responses').where({ invitation_id: invitationId });
  const answersOf = (invitationId: number) => ctx.deps.db('answers').where({ invitation_id: invitationId }).orderBy('id');
  const metricsN = async (survey: string) =>
    (await supertest(ctx.app).get('/api/v1/metrics').query({ survey }).set('Authorization', `Bearer ${ctx.apiKey}`).expect(200)).body.overall.n as number;
  /** Until the worker has settled or discarded every held answer of the invitation. */
  async function waitForDecisions(invitationId: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const held = await ctx.deps.db('answers').where({ invitation_id: invitationId, state: 'held' });
      if (held.length === 0) return;
      await sleep(200);
    }
    throw new Error('held answers were never decided');
  }

  /** An event through the API; the worker emails it; the score links of the email that arrives. */
  async function emailedScoreLinks(survey: string, email: string): Promise<{ links: string[]; invitationId: number }> {
    const event = await supertest(ctx.app)
      .post('/api/v1/events')
      .set('Authorization', `Bearer ${ctx.apiKey}`)
      .send({ touchpoint: survey.replace(/-nps$/, ''), transaction_id: `tx-${Date.now()}-${Math.random()}`, customer: { email } })
      .expect(202);
    expect(event.body.status).to.equal('scheduled');
    for (let i = 0; i < 100 && !smtp.messages.some((m) => m.to.includes(email)); i++) await sleep(100);
    const mail = smtp.messages.find((m) => m.to.includes(email));
    if (!mail) throw new Error('the invitation email never arrived');
    const links = [...(mail.parsed.html ?? '').matchAll(/href="([^"]+\?score=\d+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    return { links, invitationId: event.body.invitation_id };
  }

  it('counts a person who presses Send one second after the email arrives, at once', async () => {
    await activeSurvey(ctx, { key: 'quick-nps', send_delay_minutes: 0, quiet_hours: null });
    const { links, invitationId } = await emailedScoreLinks('quick-nps', 'quick@example.com');
    expect(links).to.have.length(11);
    const person = await browser.newContext();
    const page = await person.newPage();
    await page.goto(links[9]);
    await sleep(1000);
    await page.fill('#comment', 'Fast');
    await Promise.all([page.waitForURL(/\/r\/[^?]+$/), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Your score: 9 of 10');
    const rows = await responsesOf(invitationId);
    expect(rows, 'counted at once, not held').to.have.length(1);
    expect(rows[0]).to.include({ score: 9, comment: 'Fast' });
    expect(await metricsN('quick-nps')).to.equal(1);
    expect((await answersOf(invitationId)).map((a) => [a.state, a.reason, a.trigger])).to.deep.include(['settled', 'person', 'click']);
    await person.close();
  });

  it('discards every score link opened at once and left alone, then counts the person who clicks Send', async () => {
    const { token, invitationId } = await sentAnHourAgo();
    const scanner = await browser.newContext({ userAgent: 'Mozilla/5.0 (scanner) HeadlessChrome' });
    const pages = await Promise.all(Array.from({ length: 11 }, () => scanner.newPage()));
    await Promise.all(pages.map((page, score) => page.goto(`${base}/r/${token}?score=${score}`)));
    // Long enough for the pages' "visible for a few seconds" save to fire.
    await sleep(6_500);
    expect(await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'open' })).to.have.length(11);
    for (const page of pages) expect(await page.textContent('#save-status'), 'no page says saved').to.equal('');
    await scanner.close();
    await waitForDecisions(invitationId);
    expect(await responsesOf(invitationId), 'no counted response from the scanner').to.have.length(0);
    const answers = await answersOf(invitationId);
    expect(answers.length, 'the pages posted in the background; every post is kept').to.be.greaterThan(0);
    expect(answers.every((a) => a.state === 'discarded' && a.reason === 'different_scores')).to.equal(true);

    const person = await browser.newContext();
    const page = await person.newPage();
    await page.goto(`${base}/r/${token}?score=4`);
    expect(await page.isChecked('#score-4')).to.equal(true);
    await Promise.all([page.waitForURL(`${base}/r/${token}`), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Your score: 4 of 10');
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0].score).to.equal(4);
    await person.close();
  });

  it('discards a slow scanner: each score link in a fresh browser, 5 seconds apart, its script running, no input', async () => {
    const survey = await activeSurvey(ctx, { key: 'slow-nps' });
    const { token, invitationId } = await seedInvitation(ctx, { surveyKey: survey.key, state: 'sent', sentAt: new Date(Date.now() - HOUR) });
    for (const score of [0, 5, 10]) {
      const scanner = await browser.newContext({ userAgent: 'Mozilla/5.0 (scanner) HeadlessChrome' });
      const page = await scanner.newPage();
      await page.goto(`${base}/r/${token}?score=${score}`);
      await sleep(5_000);
      await scanner.close();
    }
    expect((await answersOf(invitationId)).length, 'each page saved on its own').to.equal(3);
    await sleep(SETTLE_SECONDS * 1000);
    await waitForDecisions(invitationId);
    expect(await responsesOf(invitationId)).to.have.length(0);
    expect(await metricsN('slow-nps')).to.equal(0);
  });

  it('counts a person who opens one score link, waits and closes the tab, once the settle window has passed', async () => {
    const survey = await activeSurvey(ctx, { key: 'quiet-nps' });
    const { token, invitationId } = await seedInvitation(ctx, { surveyKey: survey.key, state: 'sent', sentAt: new Date(Date.now() - HOUR) });
    const person = await browser.newContext();
    const page = await person.newPage();
    await page.goto(`${base}/r/${token}?score=8`);
    await page.waitForSelector('#save-status:has-text("your score 8 is saved")');
    await person.close();
    expect(await responsesOf(invitationId), 'held, not yet counted').to.have.length(0);
    await waitForDecisions(invitationId);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0].score).to.equal(8);
    expect(await metricsN('quiet-nps')).to.equal(1);
  });

  it('works at 320 px, saves the score in the background, then takes a comment with Send', async () => {
    const { token, invitationId } = await sentAnHourAgo();
    const person = await browser.newContext({ viewport: { width: 320, height: 720 } });
    const page = await person.newPage();
    await page.goto(`${base}/r/${token}?score=9`);
    makeArtifactsDir(artifacts);
    await page.screenshot({ path: path.join(artifacts, 'survey-320.png'), fullPage: true });

    // Works at 320px: nothing scrolls sideways, the 0–10 scale on one row, every score button a tap target
    // of at least 24 px wide (WCAG 2.2 AA, issue 16) and thumb-tall.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    const sizes = await page.$$eval('.scale-option label', (labels) => labels.map((l) => l.getBoundingClientRect()));
    expect(sizes).to.have.length(11);
    expect(new Set(sizes.map((b) => Math.round(b.top))).size, 'rows of the scale').to.equal(1);
    for (const box of sizes) {
      expect(box.width).to.be.at.least(24);
      expect(box.height).to.be.at.least(44);
      expect(box.right).to.be.at.most(320);
    }
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);

    await page.keyboard.press('Tab');
    await page.waitForSelector('#save-status:has-text("your score 9 is saved")');
    expect((await answersOf(invitationId))[0]).to.include({ state: 'held', score: 9, input: 'key' });

    await page.fill('#comment', 'Friendly driver');
    await Promise.all([page.waitForURL(`${base}/r/${token}`), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Your score: 9 of 10');
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 9, comment: 'Friendly driver' });
    await person.close();
  });

  it('works without JavaScript: the Send button posts the answer, held until it settles', async () => {
    const { token, invitationId } = await sentAnHourAgo();
    const person = await browser.newContext({ javaScriptEnabled: false });
    const page = await person.newPage();
    await page.goto(`${base}/r/${token}?score=2`);
    await page.screenshot({ path: path.join(artifacts, 'survey-wide.png'), fullPage: true });
    await page.fill('#comment', 'Late parcel');
    await Promise.all([page.waitForURL(`${base}/r/${token}`), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Your score: 2 of 10');
    await page.screenshot({ path: path.join(artifacts, 'survey-thanks.png'), fullPage: true });
    await waitForDecisions(invitationId);
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 2, comment: 'Late parcel' });
    await person.close();
  });
});
