import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, launchChromium, makeArtifactsDir, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.ts';
import { createUser } from '../../server/auth/service.ts';
import { runOnce } from '../../server/sending/worker.ts';
import { MINUTE } from '../../server/clock.ts';

const artifacts = artifactsPath('editor-walk');

const EDITOR = { email: 'erika.editor@example.com', password: 'correct horse battery' };
const CUSTOMER = 'kim.customer@example.com';
const TOUCHPOINT = 'order-delivered';
const SURVEY = 'order-delivered-csat';
/** The CSAT template's wording (surveys/templates/csat.json), as the form offers it. */
const CSAT = {
  en: { question: 'How satisfied are you with your experience?', low: 'Very dissatisfied', high: 'Very satisfied' },
  de: { question: 'Wie zufrieden sind Sie mit Ihrer Erfahrung?', low: 'Sehr unzufrieden', high: 'Sehr zufrieden' },
};

/**
 * Issue 5: an editor, in a real Chromium against the app on a real port, creates
 * a survey from the CSAT template, previews it, sends a test to herself (through
 * the real SMTP path), saves it; an integrator posts an event; the worker sends
 * the invitation; the editor finds it in the delivery log and sees its email.
 * The steps run in order and share one page: a failing step leaves the later ones failing too.
 */
describe('an editor walks from a template to the delivery log (Chromium)', function () {
  this.timeout(120_000);
  let smtp: SmtpReceiver;
  let ctx: TestContext;
  let served: ServedApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let invitationId: number;
  let sendAt: string;
  const problems: string[] = [];
  let shot = 0;
  const screenshot = async (name: string) =>
    page.screenshot({ path: path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  const heading = async () => (await page.locator('main h1').first().innerText()).trim();
  /** Scrolls every (lazy) frame on the page into view and waits for its content, for whole screenshots. */
  const loadAllFrames = async () => {
    for (const frame of await page.locator('main iframe').all()) {
      await frame.scrollIntoViewIfNeeded();
      await frame.contentFrame().locator('body > *').first().waitFor({ state: 'attached' });
    }
    await page.evaluate(() => window.scrollTo(0, 0));
  };

  before(async function () {
    skipWithoutChromium(this);
    smtp = await startSmtpReceiver();
    // The port first, so that links in emails point at this very server.
    served = await serveApp();
    base = served.base;
    ctx = await createTestContext({
      env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_RATE_PER_SECOND: '1000', BASE_URL: base },
    });
    // Monday 23 November 2026, 10:00 UTC: inside the default sending hours (09:00–20:00).
    ctx.clock.set('2026-11-23T10:00:00Z');
    served.server.on('request', ctx.app);
    await createUser(ctx.deps.db, { email: EDITOR.email, role: 'editor', password: EDITOR.password }, ctx.clock.now());

    browser = await launchChromium();
    page = await openWatchedPage(browser, problems);
    makeArtifactsDir(artifacts, { fresh: true });
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
    await smtp?.close();
  });

  afterEach(function () {
    // Every step: nothing went wrong in the browser.
    if (this.currentTest?.state === 'passed') expect(problems, 'console errors, CSP violations, failed requests').to.deep.equal([]);
  });

  it('signs the editor in through the login form', async () => {
    await page.goto(`${base}/surveys`);
    // Not signed in: the login page, which brings her back afterwards.
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.getByLabel('Email').fill(EDITOR.email);
    await page.getByLabel('Password').fill(EDITOR.password);
    await Promise.all([page.waitForURL((url) => url.pathname === '/surveys'), page.click('main button[type="submit"]')]);
    expect(await page.locator('.who').innerText()).to.equal(EDITOR.email);
    expect(await heading()).to.equal('Surveys');
    expect(await page.locator('main').innerText()).to.contain('There are no surveys yet.');
  });

  it('opens New survey and picks the CSAT template: the form holds its wording in English and German', async () => {
    await Promise.all([page.waitForURL(/\/surveys\/new$/), page.getByRole('link', { name: 'New survey' }).click()]);
    expect(await heading()).to.equal('New survey');
    // The page offers the built-in wording per metric.
    const templates = page.locator('main p', { hasText: 'Start from the built-in wording for' }).getByRole('link');
    expect(await templates.allInnerTexts()).to.deep.equal(['NPS (0–10)', 'CSAT (1–5)', 'CES (1–7)']);
    await Promise.all([page.waitForURL(/\/surveys\/new\?metric=csat$/), templates.filter({ hasText: 'CSAT' }).click()]);
    expect(await page.getByRole('link', { name: 'CSAT (1–5)' }).getAttribute('aria-current')).to.equal('true');
    expect(await page.getByLabel('Metric').inputValue()).to.equal('csat');
    for (const locale of ['en', 'de'] as const) {
      const fieldset = page.locator(`fieldset[lang="${locale}"]`);
      expect(await fieldset.getByLabel('Question').inputValue()).to.equal(CSAT[locale].question);
      expect(await fieldset.getByLabel('Label at the low end of the scale').inputValue()).to.equal(CSAT[locale].low);
      expect(await fieldset.getByLabel('Label at the high end of the scale').inputValue()).to.equal(CSAT[locale].high);
    }
    expect(await page.getByLabel('Status').inputValue()).to.equal('draft');
  });

  it('fills touchpoint and key, keeps the wording, sets it active and previews it in en and de', async () => {
    await page.getByLabel('Touchpoint key').fill(TOUCHPOINT);
    await page.getByLabel('Touchpoint name').fill('Order delivered');
    await page.getByLabel('Survey key').fill(SURVEY);
    await page.getByLabel('Status').selectOption('active');
    await screenshot('form-filled');
    await Promise.all([page.waitForURL(/\/surveys\/preview$/), page.getByRole('button', { name: 'Preview', exact: true }).click()]);
    expect(await heading()).to.equal(`Preview of ${SURVEY}`);
    const main = page.locator('main');
    expect(await main.innerText()).to.contain('This is the form as typed, not saved.');
    for (const [locale, name] of [['en', 'English'], ['de', 'Deutsch']] as const) {
      const section = page.locator(`section#preview-${locale}`);
      expect(await section.locator('h2').innerText()).to.contain(name);
      expect(await section.locator('h3').allInnerTexts()).to.deep.equal(['The email', 'The survey page']);
      // The email frames (desktop and phone) show the question; the page frame too.
      const emailFrame = section.locator('iframe.email.desktop');
      await emailFrame.scrollIntoViewIfNeeded();
      const email = emailFrame.contentFrame().locator('body');
      await email.waitFor();
      expect(await email.innerText()).to.contain(CSAT[locale].question);
      expect(await section.locator('iframe.email.phone').getAttribute('title')).to.equal(`The email in ${name}, phone width`);
      const pageFrame = section.locator('iframe.page.desktop');
      await pageFrame.scrollIntoViewIfNeeded();
      const surveyPage = pageFrame.contentFrame().locator('body');
      await surveyPage.waitFor();
      const pageText = await surveyPage.innerText();
      expect(pageText).to.contain(CSAT[locale].question);
      expect(pageText).to.contain(CSAT[locale].low);
      expect(pageText).to.contain(CSAT[locale].high);
      // Every frame (email and page, desktop and phone, the thank-you page) shows something.
      const frames = section.locator('iframe');
      expect(await frames.count()).to.equal(5);
      for (const frame of await frames.all()) {
        await frame.scrollIntoViewIfNeeded();
        const text = await frame.contentFrame().locator('body').innerText();
        expect(text.trim(), (await frame.getAttribute('title')) ?? '').not.to.equal('');
      }
      expect(await section.locator('iframe.thanks').contentFrame().locator('body').innerText()).to.contain(locale === 'en' ? 'Thank you' : 'Vielen Dank');
    }
    await loadAllFrames();
    await screenshot('preview');
    // Nothing saved yet.
    expect(await ctx.deps.db('surveys').where({ key: SURVEY }).first()).to.equal(undefined);
  });

  it('sends a test to herself: the receiver gets it with "[Test]" in the subject', async () => {
    const before = smtp.messages.length;
    const testSection = page.locator('section.preview-test');
    expect(await testSection.locator('h2').innerText()).to.equal('Send a test to me');
    await Promise.all([
      page.waitForURL(/\/surveys\/preview\/draft\/[0-9a-f]{16}$/),
      testSection.getByRole('button', { name: `Send a test to ${EDITOR.email}` }).click(),
    ]);
    expect(await heading()).to.equal(`Preview of ${SURVEY}`);
    expect(await page.locator('p.flash').innerText()).to.match(/test email .* was sent/i);
    const received = smtp.messages.slice(before);
    expect(received).to.have.length(1);
    expect(received[0].to).to.deep.equal([EDITOR.email]);
    expect(received[0].parsed.subject).to.match(/^\[Test\] /);
    expect(received[0].parsed.html ?? '').to.contain(CSAT.en.question);
    await loadAllFrames();
    await screenshot('test-sent');
  });

  it('goes back to the form, finds what she typed and creates the survey', async () => {
    // The draft's preview offers no link back to an unsaved form: she goes back in the
    // browser's history past the preview to the form she filled in.
    await Promise.all([page.waitForURL(/\/surveys\/new\?metric=csat$/), page.evaluate(() => void setTimeout(() => history.go(-2)))]);
    await page.getByLabel('Survey key').waitFor();
    // Chromium restores what she typed, except the touchpoint key: its input has
    // autocomplete="off", which opts it out of form restoration. She types it again.
    expect(await page.getByLabel('Survey key').inputValue()).to.equal(SURVEY);
    expect(await page.getByLabel('Touchpoint name').inputValue()).to.equal('Order delivered');
    await page.getByLabel('Touchpoint key').fill(TOUCHPOINT);
    expect(await page.getByLabel('Status').inputValue()).to.equal('active');
    await Promise.all([page.waitForURL(new RegExp(`/surveys/${SURVEY}$`)), page.getByRole('button', { name: 'Create survey' }).click()]);
    expect(await heading()).to.equal(`Survey ${SURVEY}`);
    expect(await page.locator('p.flash').innerText()).to.match(/created/i);
    const facts = await page.locator('dl.facts').innerText();
    expect(facts).to.contain(`Order delivered (${TOUCHPOINT})`);
    expect(facts).to.match(/Metric\s+csat/);
    expect(facts).to.match(/Status\s+active/);
    expect(await page.locator('fieldset[lang="de"]').getByLabel('Question').inputValue()).to.equal(CSAT.de.question);
    await screenshot('survey-created');
    await page.getByRole('link', { name: 'All surveys' }).click();
    await page.waitForURL(/\/surveys$/);
    const row = page.locator('tr', { has: page.getByRole('link', { name: SURVEY, exact: true }) });
    expect(await row.locator('td').nth(1).innerText()).to.equal('csat');
    expect(await row.locator('td').nth(2).innerText()).to.equal('active');
  });

  it('an integrator posts an event for the touchpoint; the worker sends the invitation once its time comes', async () => {
    const res = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ctx.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        touchpoint: TOUCHPOINT,
        transaction_id: 'order-10001',
        customer: { id: 'cust-kim', email: CUSTOMER, name: 'Kim Customer', locale: 'de', time_zone: 'Europe/Berlin' },
        properties: { region: 'north' },
      }),
    });
    const body = (await res.json()) as { status: string; send_at?: string; invitation_id?: number };
    expect(res.status, JSON.stringify(body)).to.equal(202);
    expect(body.status, JSON.stringify(body)).to.equal('scheduled');
    expect(body.invitation_id).to.be.a('number');
    invitationId = body.invitation_id!;
    sendAt = body.send_at!;
    expect(Date.parse(sendAt)).to.be.at.least(ctx.clock.now().getTime());
    // The clock moves past the send time; one run of the worker sends it through SMTP.
    ctx.clock.set(new Date(Date.parse(sendAt) + MINUTE));
    const run = await runOnce(ctx.deps);
    expect(run.sent).to.deep.equal([invitationId]);
    const mails = smtp.messages.filter((m) => m.to.includes(CUSTOMER));
    expect(mails).to.have.length(1);
    expect(mails[0].parsed.subject ?? '').not.to.match(/\[Test\]/);
    expect(mails[0].parsed.html ?? '').to.contain(CSAT.de.question);
  });

  it('finds the invitation in the delivery log, filtered by the new survey, and sees its email', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Delivery log' }).click();
    await page.waitForURL(/\/deliveries$/);
    expect(await heading()).to.equal('Delivery log');
    await page.getByLabel('Survey').selectOption(SURVEY);
    await Promise.all([page.waitForURL(new RegExp(`[?&]survey=${SURVEY}(&|$)`)), page.getByRole('button', { name: 'Show' }).click()]);
    expect(await page.getByLabel('Survey').inputValue()).to.equal(SURVEY);
    expect(await page.locator('main p[role="status"]').innerText()).to.equal('Invitations 1–1 of 1');
    const row = page.locator(`tr[data-invitation="${invitationId}"]`);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).to.equal(SURVEY);
    expect(cells[1]).to.equal(CUSTOMER);
    // The state's pill, then the channel.
    expect(cells[2]).to.equal('sent email');
    await screenshot('delivery-log');

    await Promise.all([page.waitForURL(new RegExp(`/deliveries/${invitationId}$`)), row.getByRole('link', { name: `#${invitationId}` }).click()]);
    expect(await heading()).to.match(new RegExp(`^Invitation #${invitationId}\\s*· sent$`));
    const field = (name: string) => page.locator('section[aria-labelledby="invitation-title"] tr', { has: page.locator(`th:text-is("${name}")`) }).locator('td').innerText();
    expect(await field('Survey')).to.equal(`${SURVEY} (Order delivered, csat, active)`);
    expect(await field('Customer')).to.equal(`${CUSTOMER} · Kim Customer`);
    expect(await field('State')).to.equal('sent');
    expect(await field('Locale')).to.equal('de');
    expect(await field('Sent')).not.to.equal('not sent');
    const email = page.locator('section[aria-labelledby="email-title"]');
    expect(await email.innerText()).to.contain('Rendered again from the stored invitation, as it was sent');
    const sentMail = smtp.messages.find((m) => m.to.includes(CUSTOMER))!;
    const header = (name: string) => email.locator('tr', { has: page.locator(`th:text-is("${name}")`) }).locator('td').innerText();
    expect(await header('Subject')).to.equal(sentMail.parsed.subject);
    expect(await header('To')).to.contain(CUSTOMER);
    const frame = email.locator('iframe.mailbox-html').first();
    await frame.scrollIntoViewIfNeeded();
    const html = frame.contentFrame().locator('body');
    await html.waitFor();
    expect(await html.innerText()).to.contain(CSAT.de.question);
    expect(await email.locator('pre[data-part="text"]').innerText()).to.contain(CSAT.de.question);
    await loadAllFrames();
    await screenshot('invitation');
  });
});
