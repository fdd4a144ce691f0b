import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { launchChromium, skipWithoutChromium } from '../helpers/browser.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { runOnce } from '../../server/sending/worker.ts';

/**
 * Issue 16, "Phones": the invitation email's score buttons are tap targets of at least 24 × 24 px (WCAG 2.2
 * AA) and the NPS scale stays on one row, at 320 px as on a desktop; the email as sent (the development
 * mailbox keeps its HTML), drawn by Chromium at each width.
 */
describe('the invitation email on a phone', function () {
  this.timeout(60_000);
  let ctx: TestContext;
  let browser: Browser;
  let html = '';

  before(async function () {
    skipWithoutChromium(this, { quiet: true });
    ctx = await createTestContext();
    await seedInvitation(ctx, { metric: 'nps' });
    expect((await runOnce(ctx.deps)).sent).to.have.length(1);
    html = (await ctx.deps.db('mailbox_messages').first('html')).html;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ctx?.close();
  });

  for (const width of [320, 375, 600]) {
    it(`at ${width} px: eleven score buttons on one row, each at least 24 × 24 px, nothing wider than the screen`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.setContent(html);
      const boxes = await page.evaluate(() => [...document.querySelectorAll('.tp-score a')].map((a) => a.getBoundingClientRect()).map((r) => ({ top: Math.round(r.top), width: r.width, height: r.height })));
      expect(boxes).to.have.length(11);
      expect(new Set(boxes.map((b) => b.top)).size, 'rows of score buttons').to.equal(1);
      for (const b of boxes) expect(Math.min(b.width, b.height), 'a score button’s smaller side (px)').to.be.at.least(24);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(width);
      await page.close();
    });
  }
});
