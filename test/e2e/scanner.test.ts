import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, launchChromium, makeArtifactsDir, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { ManualClock, HOUR } from '../../server/clock.ts';

const artifacts = artifactsPath();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Real time: the scanner signals are about seconds between real requests. */
class LiveClock extends ManualClock {
  override now(): Date {
    return new Date();
  }
}

describe('survey page in a browser: link scanners and people', function () {
  this.timeout(90_000);
  let ctx: TestContext;
  let served: ServedApp;
  let base: string;
  let browser: Browser;

  before(async function () {
    skipWithoutChromium(this, { quiet: true });
    ctx = await createTestContext({ clock: new LiveClock() });
    served = await serveApp(ctx.app);
    base = served.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  const sentAnHourAgo = () => seedInvitation(ctx, { state: 'sent', sentAt: new Date(Date.now() - HOUR) });
  const responsesOf = (invitationId: number) => ctx.deps.db('responses').where({ invitation_id: invitationId });

  it('stores nothing when every score link is opened at once and left alone, then counts the person who clicks Send', async () => {
    const { token, invitationId } = await sentAnHourAgo();
    const scanner = await browser.newContext({ userAgent: 'Mozilla/5.0 (scanner) HeadlessChrome' });
    const pages = await Promise.all(Array.from({ length: 11 }, () => scanner.newPage()));
    await Promise.all(pages.map((page, score) => page.goto(`${base}/r/${token}?score=${score}`)));
    // Long enough for the pages' "visible for a few seconds" save to fire.
    await sleep(6_500);
    expect(await responsesOf(invitationId), 'no counted response from the scanner').to.have.length(0);
    const opens = await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'open' });
    expect(opens).to.have.length(11);
    const automated = await ctx.deps.db('link_clicks').where({ invitation_id: invitationId, kind: 'automated' });
    expect(automated.length, 'the pages posted in the background and were judged automated').to.be.greaterThan(0);
    expect(automated.every((c) => c.signal === 'different_scores')).to.equal(true);
    await scanner.close();

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

  it('saves the score in the background once a person presses a key, then takes a comment', async () => {
    const { token, invitationId } = await sentAnHourAgo();
    const person = await browser.newContext({ viewport: { width: 320, height: 720 } });
    const page = await person.newPage();
    await page.goto(`${base}/r/${token}?score=9`);
    makeArtifactsDir(artifacts);
    await page.screenshot({ path: path.join(artifacts, 'survey-320.png'), fullPage: true });

    // Works at 320px: nothing scrolls sideways, every score button is thumb-sized.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(320);
    const sizes = await page.$$eval('.scale-option label', (labels) => labels.map((l) => l.getBoundingClientRect()));
    expect(sizes).to.have.length(11);
    for (const box of sizes) {
      expect(box.width).to.be.at.least(36);
      expect(box.height).to.be.at.least(44);
      expect(box.right).to.be.at.most(320);
    }
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);

    await page.keyboard.press('Tab');
    await page.waitForSelector('#save-status:has-text("your score 9 is saved")');
    let rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 9, comment: null });

    await page.fill('#comment', 'Friendly driver');
    await Promise.all([page.waitForURL(`${base}/r/${token}`), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Your score: 9 of 10');
    rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 9, comment: 'Friendly driver' });
    await person.close();
  });

  it('works without JavaScript: the Send button posts the answer', async () => {
    const { token, invitationId } = await sentAnHourAgo();
    const person = await browser.newContext({ javaScriptEnabled: false });
    const page = await person.newPage();
    await page.goto(`${base}/r/${token}?score=2`);
    await page.screenshot({ path: path.join(artifacts, 'survey-wide.png'), fullPage: true });
    await page.fill('#comment', 'Late parcel');
    await Promise.all([page.waitForURL(`${base}/r/${token}`), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Your score: 2 of 10');
    await page.screenshot({ path: path.join(artifacts, 'survey-thanks.png'), fullPage: true });
    const rows = await responsesOf(invitationId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ score: 2, comment: 'Late parcel' });
    await person.close();
  });
});
