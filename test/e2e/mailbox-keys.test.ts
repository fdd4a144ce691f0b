import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, launchChromium, makeArtifactsDir, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { captureLog, type CapturedLog } from '../helpers/log.ts';
import { seedInvitation } from '../helpers/invitations.ts';
import { answerTables } from '../helpers/answer-tables.ts';
import { createUser } from '../../server/auth/service.ts';
import { runOnce } from '../../server/sending/worker.ts';

const artifacts = artifactsPath('mailbox-keys');
const EDITOR = { email: 'erika.editor@example.com', password: 'correct horse battery' };
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

/*
 * Issue 9, point 5, in Chromium against the app on a real port with no
 * SMTP_URL: staff pages show customers' emails with inert links, the editor
 * has no mailbox, and "Open as the customer" is a preview that stores nothing.
 * The steps run in order and share one page per person.
 */
describe('the mailbox carries no keys (Chromium, no SMTP_URL)', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let captured: CapturedLog;
  let served: ServedApp;
  let base: string;
  let browser: Browser;
  let editor: Page;
  let admin: Page;
  let seeded: Awaited<ReturnType<typeof seedInvitation>>;
  let stored: Awaited<ReturnType<typeof answerTables>>;
  const problems: string[] = [];
  let shot = 0;
  const screenshot = async (page: Page, name: string) =>
    page.screenshot({ path: path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const signIn = async (page: Page, who: { email: string; password: string }) => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('main button[type="submit"]')]);
  };
  /** The hrefs of every link in the sandboxed email frame of the page. */
  const frameHrefs = async (page: Page) => {
    const frame = page.locator('iframe.mailbox-html').first();
    await frame.scrollIntoViewIfNeeded();
    const links = frame.contentFrame().locator('a[href]');
    await links.first().waitFor({ state: 'attached' });
    return Promise.all((await links.all()).map(async (a) => (await a.getAttribute('href')) ?? ''));
  };

  before(async function () {
    skipWithoutChromium(this);
    captured = captureLog();
    // The port first, so that links in emails point at this very server.
    served = await serveApp();
    base = served.base;
    ctx = await createTestContext({ env: { BASE_URL: base }, log: captured.log });
    ctx.clock.set('2026-11-23T10:00:00Z');
    served.server.on('request', ctx.app);
    await createUser(ctx.deps.db, { email: EDITOR.email, role: 'editor', password: EDITOR.password }, ctx.clock.now());
    seeded = await seedInvitation(ctx, { locale: 'de' });
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([seeded.invitationId]);
    stored = await answerTables(ctx.deps.db);

    browser = await launchChromium();
    editor = await openWatchedPage(browser, problems);
    admin = await openWatchedPage(browser, problems);
    makeArtifactsDir(artifacts, { fresh: true });
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  afterEach(function () {
    // Every step: nothing went wrong in the browser.
    if (this.currentTest?.state === 'passed') expect(problems, 'console errors, CSP violations, failed requests').to.deep.equal([]);
  });

  it('the editor has no Mailbox: not in the navigation, 403 at /mailbox', async () => {
    await signIn(editor, EDITOR);
    const nav = editor.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Delivery log' }).count()).to.equal(1);
    expect(await nav.getByRole('link', { name: 'Mailbox' }).count()).to.equal(0);
    // Asked for directly (not through the watched page, whose 403 would count as a problem).
    expect((await editor.request.get(`${base}/mailbox`)).status()).to.equal(403);
  });

  it('the delivery log shows the invitation email with inert links only', async () => {
    await editor.goto(`${base}/deliveries/${seeded.invitationId}`);
    expect(await editor.locator('main h1').first().innerText()).to.match(new RegExp(`^Invitation #${seeded.invitationId}`));
    const hrefs = await frameHrefs(editor);
    expect(hrefs.length).to.be.greaterThan(10);
    for (const href of hrefs.filter((h) => h.startsWith(base))) expect(href).to.match(/\/[ru]\/preview-token(\/t|\?score=\d+)?$/);
    expect(hrefs.join(' ')).not.to.contain(seeded.token);
    expect(await editor.locator('pre[data-part="text"]').innerText()).to.contain(`${base}/r/preview-token?score=10`);
    expect(await editor.content()).not.to.contain(seeded.token);
    // The inert link answers nothing.
    expect((await editor.request.get(`${base}/r/preview-token?score=5`)).status()).to.equal(404);
    await screenshot(editor, 'delivery-log-invitation');
  });

  it('"Open as the customer" shows the customer\'s page in German, marked as a preview, and logs it', async () => {
    await editor.goto(`${base}/deliveries/${seeded.invitationId}`);
    const [res] = await Promise.all([
      editor.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/deliveries/${seeded.invitationId}/as-customer`)),
      editor.getByRole('button', { name: 'Open as the customer' }).click(),
    ]);
    await editor.waitForLoadState('load');
    expect(res.status()).to.equal(200);
    expect(await editor.locator('html').getAttribute('lang')).to.equal('de');
    expect(await editor.getByRole('note').innerText()).to.contain(`Preview of invitation #${seeded.invitationId} as the customer sees it.`);
    expect(await editor.locator('main h1').innerText()).to.equal(seeded.survey.content.de!.question);
    expect(await editor.locator('#survey-form input[type="radio"]').count()).to.equal(11);
    const line = await captured.waitFor(new RegExp(`^opened invitation ${seeded.invitationId} as the customer$`));
    expect(line.userId).to.be.a('number');
    await screenshot(editor, 'as-the-customer');
  });

  it('its form shows the thanks page the customer would see, and nothing is stored', async () => {
    await editor.locator('#score-9').check();
    await editor.getByRole('textbox').fill('Schnell und freundlich');
    const [res] = await Promise.all([
      editor.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/as-customer/answer')),
      editor.click('#survey-form button[type="submit"]'),
    ]);
    await editor.waitForLoadState('load');
    expect(res.status()).to.equal(200);
    expect(await editor.locator('.survey-thanks').count()).to.equal(1);
    expect(await editor.getByRole('note').innerText()).to.contain('after sending an answer');
    expect(await editor.locator('main').innerText()).to.contain('9');
    expect(await editor.getByRole('textbox').inputValue()).to.equal('Schnell und freundlich');
    await screenshot(editor, 'as-the-customer-thanks');
    expect(await answerTables(ctx.deps.db), 'nothing stored').to.deep.equal(stored);

    await Promise.all([editor.waitForURL(new RegExp(`/deliveries/${seeded.invitationId}$`)), editor.getByRole('link', { name: 'Back to the invitation' }).click()]);
  });

  it('the admin reads the mailbox: the stored invitation shows inert links only', async () => {
    await signIn(admin, ADMIN);
    await Promise.all([admin.waitForURL(/\/mailbox$/), admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mailbox' }).click()]);
    await Promise.all([admin.waitForURL(/\/mailbox\/\d+$/), admin.locator('main table a').first().click()]);
    const hrefs = await frameHrefs(admin);
    expect(hrefs.length).to.be.greaterThan(10);
    for (const href of hrefs.filter((h) => h.startsWith(base))) expect(href).to.match(/\/[ru]\/preview-token(\/t|\?score=\d+)?$/);
    expect(await admin.locator('pre.mailbox-text').innerText()).to.contain('/u/preview-token');
    expect(await admin.content()).not.to.contain(seeded.token);
    await screenshot(admin, 'mailbox-message');
    expect(await answerTables(ctx.deps.db), 'nothing stored').to.deep.equal(stored);
  });

  it('the Mailbox says when the next scheduled email is due, and shows a new message by itself', async () => {
    // One more invitation, due in 45 minutes.
    const later = await seedInvitation(ctx, { sendAt: new Date(ctx.clock.now().getTime() + 45 * 60_000) });
    await admin.goto(`${base}/mailbox`);
    const next = admin.locator('#mailbox-next');
    expect(await next.innerText()).to.match(/^Next scheduled email: delivery-nps to customer-[a-z0-9]+@example\.com, .* \(in 45 minutes; the survey's send delay and quiet hours set it\)\. 1 invitation scheduled in all\.$/);
    expect(await admin.locator('main tbody tr').count()).to.equal(1);
    // Its time comes and the worker sends it: the page shows it without a reload, and says so.
    ctx.clock.advance(46 * 60_000);
    expect((await runOnce(ctx.deps)).sent).to.deep.equal([later.invitationId]);
    await admin.locator('main tbody tr').nth(1).waitFor({ timeout: 15_000 });
    expect(await admin.locator('#mailbox-status').innerText()).to.match(/^New message: /);
    expect(await next.innerText()).to.contain('No email is scheduled');
  });
});
