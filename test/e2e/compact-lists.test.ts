import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { launchChromium, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { createUser } from '../../server/auth/service.ts';
import { loadDemo } from '../../server/demo/seed.ts';

/** Issue 16: the delivery log and the follow-ups are compact lists, a row a line, on the demo's half year. */
describe('compact lists in a browser: one line a row in the delivery log and the follow-ups', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    ctx = await createTestContext();
    await loadDemo(ctx.deps);
    await createUser(ctx.deps.db, { email: 'editor@example.com', role: 'editor', password: 'correct horse battery' }, ctx.clock.now());
    served = await serveApp(ctx.app);
    browser = await launchChromium();
    page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${served.base}/login`);
    await page.fill('#f-email', 'editor@example.com');
    await page.fill('#f-password', 'correct horse battery');
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('button[type="submit"]')]);
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  /** The heights of the list's body rows, in px. */
  const rowHeights = (selector: string) => page.$$eval(`${selector} tbody tr`, (rows) => rows.map((r) => Math.round(r.getBoundingClientRect().height)));

  for (const width of [1280, 375]) {
    it(`the delivery log at ${width}px: 50 rows of one line each, the page not wider than the screen`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${served.base}/deliveries`);
      const heights = await rowHeights('table.compact');
      expect(heights).to.have.length(50);
      expect(Math.max(...heights), `row heights ${heights.join(', ')}`).to.be.at.most(44);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(width + 1);
    });

    it(`the follow-ups at ${width}px: one line a row, the comment whole in the page`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${served.base}/follow-ups`);
      const heights = await rowHeights('table.follow-ups');
      expect(heights.length).to.be.greaterThan(10);
      expect(Math.max(...heights), `row heights ${heights.join(', ')}`).to.be.at.most(44);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(width + 1);
      // The page of 50 follow-ups is a list, not 50 cards (it was 8,700 px tall).
      expect(await page.evaluate(() => document.documentElement.scrollHeight)).to.be.below(4000);
    });
  }

  it("marks a follow-up done from its row's disclosure, with a note", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${served.base}/follow-ups`);
    const row = page.locator('table.follow-ups tbody tr').first();
    const id = (await row.getAttribute('id'))!.replace('follow-up-', '');
    expect(await row.locator('textarea').isVisible()).to.equal(false);
    await row.locator('summary').click();
    await row.locator('textarea').fill('Called, replacement sent.');
    await Promise.all([page.waitForURL(/follow-ups/), row.locator('button[type="submit"]').click()]);
    await page.waitForLoadState('load');
    expect(await page.locator(`#follow-up-${id}`).count(), 'gone from the open list').to.equal(0);
    const done = await ctx.deps.db('follow_ups').where({ response_id: Number(id) }).first('note');
    expect(done.note).to.equal('Called, replacement sent.');
    expect(problems).to.deep.equal([]);
  });
});
