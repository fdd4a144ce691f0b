import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

/** The Chromium the browser tests drive: CHROMIUM_PATH, or the distribution's. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * In a `before` hook: skips the suite when there is no Chromium at `chromiumPath`,
 * saying so on the console unless `quiet`.
 */
export function skipWithoutChromium(ctx: Mocha.Context, options: { quiet?: boolean } = {}): void {
  if (fs.existsSync(chromiumPath)) return;
  if (!options.quiet) console.log(`      skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  ctx.skip();
}

export interface ServedApp {
  /** http://127.0.0.1:<port>, no trailing slash. */
  base: string;
  server: http.Server;
  close(): Promise<void>;
}

/**
 * Serves `app` on a free loopback port. Without `app` the port is taken first and
 * the handler added later (`server.on('request', app)`), for an app that must know its URL.
 */
export async function serveApp(app?: http.RequestListener): Promise<ServedApp> {
  const server = app ? http.createServer(app) : http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headless Chromium at `chromiumPath`, quiet: no sandbox, GPU, background traffic, updates, first-run or sync. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** Makes CSP violations in the context's pages console errors (the init script runs outside the page's CSP). */
async function reportCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
}

/**
 * Adds to `problems` every console error, page error and HTTP response of 400 or
 * more on `page`; with `ignoreFavicon`, not those about /favicon.ico.
 */
function watchPage(page: Page, problems: string[], options: { ignoreFavicon?: boolean } = {}): void {
  const { ignoreFavicon = false } = options;
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !(ignoreFavicon && /favicon\.ico/.test(msg.location().url ?? ''))) problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400 && !(ignoreFavicon && res.url().endsWith('/favicon.ico'))) problems.push(`HTTP ${res.status()} ${res.url()}`);
  });
}

/** A page in a new 1280×900 context, with CSP violations reported and the page watched into `problems` (see watchPage). */
export async function openWatchedPage(browser: Browser, problems: string[], options: { ignoreFavicon?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await reportCspViolations(context);
  const page = await context.newPage();
  watchPage(page, problems, options);
  return page;
}

/** test/artifacts, or the folder `sub` below it: where the browser tests leave their screenshots. */
export const artifactsPath = (sub = '') => path.resolve('test/artifacts', sub);

/** Creates the folder `dir` (emptied first when `fresh`). */
export function makeArtifactsDir(dir: string, options: { fresh?: boolean } = {}): void {
  if (options.fresh) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * A page as people meet it: no id used twice (every label finds its own field), no serious or critical
 * axe-core violation at 1100 and at 320 px, and nothing wider than a 320 px phone. Leaves the viewport at
 * 1280 × 900.
 */
export async function checkPage(page: Page, what: string): Promise<void> {
  const twice = await page.evaluate(() => {
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    return ids.filter((id, i) => ids.indexOf(id) !== i);
  });
  expect(twice, `${what}: ids used twice`).to.deep.equal([]);
  for (const width of [1100, 320]) {
    await page.setViewportSize({ width, height: 800 });
    const { violations } = await new AxeBuilder({ page }).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), `${what} at ${width}px`).to.deep.equal([]);
    if (width === 320) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${what} scrolls sideways at 320px`).to.be.at.most(321);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
