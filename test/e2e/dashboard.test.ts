import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, launchChromium, makeArtifactsDir, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { createUser } from '../../server/auth/service.ts';
import { loadDemo } from '../../server/demo/seed.ts';

const artifacts = artifactsPath();

describe('dashboards in a browser: charts drawn, no console errors, no CSP violations', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    ctx = await createTestContext();
    await loadDemo(ctx.deps);
    await createUser(ctx.deps.db, { email: 'viewer@example.com', role: 'viewer', password: 'correct horse battery' }, ctx.clock.now());
    served = await serveApp(ctx.app);
    base = served.base;
    browser = await launchChromium();
    page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    makeArtifactsDir(artifacts);
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  /** Per canvas: whether chart.js holds a chart for it and whether any pixel was painted. */
  const drawnCharts = () =>
    page.$$eval('canvas[data-chart]', (canvases) =>
      canvases.map((canvas) => {
        const c = canvas as HTMLCanvasElement;
        const chart = (window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): unknown } }).Chart?.getChart(c);
        const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
        return { id: c.dataset.chart, chart: Boolean(chart), painted, width: c.width, height: c.height };
      }),
    );

  it('signs a viewer in through the login form', async () => {
    await page.goto(`${base}/login`);
    await page.fill('#f-email', 'viewer@example.com');
    await page.fill('#f-password', 'correct horse battery');
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('button[type="submit"]')]);
    expect(await page.textContent('.who')).to.contain('viewer');
  });

  it('draws every chart on the overview', async () => {
    await page.goto(`${base}/dashboard`);
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length > 0);
    const charts = await drawnCharts();
    expect(charts).to.have.length(3);
    for (const c of charts) {
      expect(c.chart, `${c.id} has a chart`).to.equal(true);
      expect(c.painted, `${c.id} painted`).to.be.greaterThan(100);
    }
    expect(await page.locator('.change').count()).to.equal(3);
    await page.screenshot({ path: path.join(artifacts, 'dashboard-overview.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });

  it('opens a touchpoint page from its card and draws trend, distribution and funnel', async () => {
    await Promise.all([page.waitForURL(/\/dashboard\/delivery-nps\?/), page.click('a[href^="/dashboard/delivery-nps?"]')]);
    const charts = await drawnCharts();
    expect(charts.map((c) => c.id)).to.deep.equal(['chart-trend', 'chart-distribution', 'chart-funnel']);
    for (const c of charts) {
      expect(c.chart, `${c.id} has a chart`).to.equal(true);
      expect(c.painted, `${c.id} painted`).to.be.greaterThan(100);
    }
    // The filters are GET forms: choosing a segment and a comment group puts them in the URL.
    await page.selectOption('#f-segment', 'region');
    await Promise.all([page.waitForURL(/segment=region/), page.click('form.filters button[type="submit"]')]);
    expect(await page.locator('caption', { hasText: 'by region, best first' }).count()).to.equal(1);
    await page.selectOption('#c-group', 'detractor');
    await Promise.all([page.waitForURL(/group=detractor/), page.click('form.comment-filters button[type="submit"]')]);
    expect(page.url()).to.contain('segment=region');
    // Each comment's pill names its group and score ("Detractors 3").
    const pills = await page.$$eval('.comments .pill', (ps) => ps.map((p) => p.textContent ?? ''));
    expect(pills.length).to.be.greaterThan(0);
    expect(pills.every((p) => /^Detractors \d+$/.test(p) && Number(/(\d+)$/.exec(p)![1]) <= 6), pills.join(', ')).to.equal(true);
    expect((await drawnCharts()).every((c) => c.chart && c.painted > 100)).to.equal(true);
    await page.screenshot({ path: path.join(artifacts, 'dashboard-touchpoint.png'), fullPage: true });
    // The trend's axis shows the dates as the table writes them.
    const axis = await page.$eval('canvas[data-chart="chart-trend"]', (c) => {
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { labels: string[] } } } }).Chart.getChart(c as HTMLCanvasElement);
      return chart.data.labels;
    });
    const tableDates = await page.$$eval('#trend-title ~ figure table tbody th time', (ts) => ts.map((t) => t.textContent ?? ''));
    expect(axis).to.deep.equal(tableDates);
    const axe = await new AxeBuilder({ page }).include('main').analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).to.deep.equal([]);
    expect(problems).to.deep.equal([]);
  });

  it('filters the page by a property value and removes the filter again', async () => {
    await page.selectOption('#pf-add', 'region:north');
    await Promise.all([page.waitForURL(/where=region%3Anorth/), page.click('form[aria-label="Add a property filter"] button[type="submit"]')]);
    // The other filters stay, the chip names the filter, and the segments show north alone.
    expect(page.url()).to.contain('segment=region');
    expect(page.url()).to.contain('group=detractor');
    expect(await page.locator('.chips li', { hasText: 'region is north' }).count()).to.equal(1);
    const values = await page.$$eval('#segments-title ~ .table-wrap tbody th', (ths) => ths.map((th) => th.textContent?.trim()));
    expect(values).to.deep.equal(['north']);
    expect((await drawnCharts()).every((c) => c.chart && c.painted > 100)).to.equal(true);
    await page.screenshot({ path: path.join(artifacts, 'dashboard-touchpoint-filtered.png'), fullPage: true });
    await Promise.all([page.waitForURL((url) => !url.search.includes('where=')), page.click('.chips a:has-text("Remove")')]);
    expect(page.url()).to.contain('segment=region');
    expect(await page.locator('.chips').count()).to.equal(0);
    expect(problems).to.deep.equal([]);
  });

  it('works without JavaScript: tables instead of charts, filters by GET forms', async () => {
    const plain = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await plain.newPage();
      await p.goto(`${base}/login`);
      await p.fill('#f-email', 'viewer@example.com');
      await p.fill('#f-password', 'correct horse battery');
      await Promise.all([p.waitForURL((url) => !url.pathname.startsWith('/login')), p.click('button[type="submit"]')]);
      await p.goto(`${base}/dashboard/support-csat?preset=90d`);
      expect(await p.locator('table').count()).to.equal(3);
      await p.selectOption('#c-group', 'low');
      await p.fill('#c-q', 'solution');
      await Promise.all([p.waitForURL(/group=low/), p.click('form.comment-filters button[type="submit"]')]);
      expect(p.url()).to.contain('q=solution');
      expect(p.url()).to.contain('preset=90d');
      const shown = await p.$$eval('.comments .comment', (els) => els.map((e) => e.textContent ?? ''));
      expect(shown.length).to.be.greaterThan(0);
      expect(shown.every((c) => /solution/i.test(c))).to.equal(true);
    } finally {
      await plain.close();
    }
  });

  it('fits a 320 px wide screen', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.goto(`${base}/dashboard/support-csat?preset=30d`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.screenshot({ path: path.join(artifacts, 'dashboard-touchpoint-320.png'), fullPage: true });
    expect(overflow).to.be.at.most(0);
    expect((await drawnCharts()).every((c) => c.chart && c.painted > 100)).to.equal(true);
    expect(problems).to.deep.equal([]);
  });

  it("shows a score tile per touchpoint above the cards: its score, its change and a sparkline of its weeks", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/dashboard`);
    const tiles = await page.$$eval('.score-tile', (els) =>
      els.map((el) => ({
        name: el.querySelector('.tile-name')!.textContent!.trim(),
        href: el.querySelector('.tile-name')!.getAttribute('href'),
        score: el.querySelector('.score')!.textContent!.trim(),
        change: el.querySelector('.tile-change')!.textContent!.replace(/\s+/g, ' ').trim(),
        paths: [...el.querySelectorAll('svg.sparkline path')].map((p) => p.getAttribute('d')!),
        words: el.querySelector('svg.sparkline + .visually-hidden')!.textContent!.trim(),
        bottom: el.getBoundingClientRect().bottom,
      })),
    );
    const cards = await page.$$eval('.touchpoint-card', (els) =>
      els.map((el) => ({ name: el.querySelector('h2')!.textContent!.trim(), score: el.querySelector('.headline .score')!.textContent!.trim(), top: el.getBoundingClientRect().top })),
    );
    expect(tiles.map((t) => [t.name, t.score])).to.deep.equal(cards.map((c) => [c.name, c.score]));
    for (const tile of tiles) {
      expect(tile.href).to.match(/^\/dashboard\/[a-z-]+/);
      expect(tile.change).to.match(/[+−±]|No change/);
      expect(tile.paths.join(' '), `${tile.name}'s sparkline`).to.match(/^M[\d.]+ [\d.]+/);
      expect(tile.words).to.match(/^By week|^No week/);
      expect(tile.bottom).to.be.at.most(Math.min(...cards.map((c) => c.top)));
    }
    expect(problems).to.deep.equal([]);
  });

  it('on a 375 × 667 phone: the first score above the fold, the navigation behind a Menu button that opens it', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    await page.goto(`${base}/dashboard`);
    // The score tiles come first: the first one's score is the first score.
    const score = await page.locator('.score-tile .score').first().boundingBox();
    expect(score, 'the first score').to.not.equal(null);
    expect(score!.y + score!.height, 'the first score’s bottom edge (px)').to.be.at.most(667);
    const menu = page.getByRole('button', { name: 'Menu' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible(), 'the navigation, folded').to.equal(false);
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).to.equal('true');
    await nav.getByRole('link', { name: 'Digest' }).click();
    await page.waitForURL(/\/digest$/);
    expect(problems).to.deep.equal([]);
  });
});
