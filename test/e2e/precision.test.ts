import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, checkPage, launchChromium, makeArtifactsDir, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { createUser } from '../../server/auth/service.ts';
import { loadDemo } from '../../server/demo/seed.ts';

const artifacts = artifactsPath();

/**
 * The precision target on the demo's delivery survey, in a browser (issue 17): set through the form, the
 * panel with the rate in force per region and the margins reached, accessible at 1100 and 320 px, no
 * console errors or CSP violations; in German for a German reader. Its screenshot is the README's picture.
 */
describe('precision target in a browser: set on the form, read on the survey page', function () {
  this.timeout(180_000);
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
    makeArtifactsDir(artifacts);
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

  it('sets ±15 a month on the form, and shows the rate in force and the margins reached', async () => {
    await page.goto(`${served.base}/surveys/delivery-nps`);
    await page.fill('#f-precision_margin', '15');
    await page.selectOption('#f-precision_period', 'month');
    await page.fill('#f-precision_segment', '');
    await Promise.all([page.waitForURL(`${served.base}/surveys/delivery-nps`), page.click('form.survey-form button[type="submit"]:not([formaction])')]);
    const panel = page.locator('section.precision');
    expect(await panel.locator('h2').textContent()).to.equal('Precision target');
    expect(await panel.locator('p').first().textContent()).to.equal('NPS within ±15 in every month.');
    const rate = panel.locator('table').first().locator('tbody tr');
    expect(await rate.count()).to.equal(1);
    expect(await rate.locator('th').textContent()).to.equal('All');
    // The demo's November: some answers in hand, a week left: the rate to reach ±15 is below 100 %.
    expect(await rate.locator('td').nth(1).textContent()).to.equal('on track');
    // Seven months: six past and the current one.
    expect(await panel.locator('table').nth(1).locator('tbody tr').count()).to.equal(7);
    await checkPage(page, 'survey page with a precision target');
    await panel.screenshot({ path: path.join(artifacts, 'precision-en-1280.png') });
    expect(problems).to.deep.equal([]);
  });

  it('reads in German for a German reader', async () => {
    await ctx.deps.db('users').where({ email: 'editor@example.com' }).update({ locale: 'de' });
    await page.goto(`${served.base}/surveys/delivery-nps`);
    expect(await page.locator('section.precision h2').textContent()).to.equal('Präzisionsziel');
    expect(await page.locator('section.precision p').first().textContent()).to.equal('NPS auf ±15 genau, in jedem Monat.');
    expect(problems).to.deep.equal([]);
  });
});
