import crypto from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { expect } from 'chai';
import supertest from 'supertest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { checkPage, launchChromium, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';

/**
 * Issue 15, the survey widget in a browser: the shop's page (a tiny server on its own loopback port) carries
 * the one-line snippet, signed by the shop's server with the widget secret an admin read on the Settings page,
 * where the admin also listed the shop's site. A customer with a due `web` survey sees the card on the shop's
 * page and answers it there; the answer reaches the API as a web answer. Nothing shows on a reload, with a bad
 * signature, on a site that is not listed, or for a customer with nothing due. The card fits a 375 px phone,
 * passes axe-core (no serious or critical violation), and Escape dismisses it.
 */

const SURVEY = 'checkout-nps';
const QUESTION = 'How likely are you to recommend our shop to a friend?';
const COMMENT_PROMPT = 'What made you give that score?';
const THANK_YOU = 'Thank you, that helps us a lot.';
const TODAY = '2026-11-23';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

describe('the survey widget on the shop\'s page, in a browser', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let browser: Browser;
  /** The shop's site, listed on the Settings page. */
  let shop: ServedApp;
  /** The same pages from another port: a site nobody listed. */
  let otherSite: ServedApp;
  /** The snippet as the Settings page prints it, and the secret the shop's server signs with. */
  let snippet = '';
  let secret = '';
  const problems: string[] = [];
  let seq = 0;

  /** What the shop's server does: signs the customer's id with the widget secret (lowercase hex HMAC-SHA256). */
  const sign = (customerId: string) => crypto.createHmac('sha256', secret).update(customerId, 'utf8').digest('hex');

  /**
   * The shop's pages: GET /?customer=ID[&signature=SIG] is an order page with the snippet filled in for
   * that customer (signed by the shop unless a signature is given), and a button the page focuses first.
   */
  const shopHandler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop.invalid');
    if (url.pathname !== '/') {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    const customer = url.searchParams.get('customer') ?? '';
    const signature = url.searchParams.get('signature') ?? sign(customer);
    const script = snippet.replace('CUSTOMER_ID', escapeHtml(customer)).replace('SIGNATURE', escapeHtml(signature));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Your order - Example Shop</title></head>
<body>
<header><p>Example Shop</p></header>
<main>
<h1>Thank you for your order</h1>
<p>Your parcel is on its way. We will email you when it arrives.</p>
<button type="button" id="shop-button">Track my parcel</button>
</main>
<script>document.getElementById('shop-button').focus();</script>
${script}
</body>
</html>`);
  };

  /** A new customer with a due invitation of the web survey: an event, answered 202, leaving the invitation waiting. */
  const dueCustomer = async (name: string): Promise<{ id: string; invitationId: number }> => {
    const id = `${name}-${++seq}`;
    const res = await ctx.api
      .post('/api/v1/events')
      .send({ touchpoint: 'checkout', transaction_id: `order-${seq}`, customer: { id, email: `${id}@example.com`, name, locale: 'en' }, properties: { region: 'north' } })
      .expect(202);
    expect(res.body.invitation_id, `an invitation for ${id}: ${JSON.stringify(res.body)}`).to.be.a('number');
    expect(await invitationOf(id, res.body.invitation_id), `${id}'s invitation waits for the widget`).to.include({ state: 'waiting', channel: 'web' });
    return { id, invitationId: res.body.invitation_id };
  };

  /** The invitation as the customer's timeline (the API) tells it. */
  const invitationOf = async (customerId: string, invitationId: number): Promise<Record<string, unknown>> => {
    const res = await ctx.api.get(`/api/v1/customers/${encodeURIComponent(customerId)}/timeline`).expect(200);
    const item = res.body.timeline.find((e: { kind: string; invitation_id?: number }) => e.kind === 'invitation' && e.invitation_id === invitationId);
    expect(item, `invitation #${invitationId} on ${customerId}'s timeline`).to.be.an('object');
    return item;
  };

  /** Opens the shop's page at `query` on `site`; the widget's ask for a survey and its answer. */
  const openShop = async (page: Page, query: string, site: ServedApp = shop) => {
    const [asked] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${served.base}/widget/v1/invitation` && r.request().method() === 'POST'),
      page.goto(`${site.base}/?${query}`),
    ]);
    await asked.finished();
    return asked;
  };

  const card = (page: Page) => page.locator('#touchpoint-widget .tp-card');

  /** Nothing of the widget in the page: no host, or a host without a card. */
  const expectNoCard = async (page: Page, why: string) => {
    const shown = await page.evaluate(() => {
      const host = document.getElementById('touchpoint-widget');
      return !!host && !!host.shadowRoot?.querySelector('.tp-card');
    });
    expect(shown, `${why}: no card`).to.equal(false);
    expect(await card(page).count(), `${why}: no card`).to.equal(0);
  };

  /** The data-score of the element focused inside the widget (null when focus is elsewhere). */
  const focusedScore = (page: Page) =>
    page.evaluate(() => {
      const host = document.getElementById('touchpoint-widget');
      if (!host || document.activeElement !== host) return null;
      return (host.shadowRoot?.activeElement as HTMLElement | null)?.dataset.score ?? null;
    });

  /** Serious or critical axe-core violations inside the widget's host element. */
  const widgetViolations = async (page: Page) => {
    const { violations } = await new AxeBuilder({ page }).include('#touchpoint-widget').analyze();
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  };

  before(async function () {
    skipWithoutChromium(this);
    // Touchpoint's port first, so that the snippet on the Settings page names this very server.
    served = await serveApp();
    ctx = await createTestContext({ env: { BASE_URL: served.base } });
    ctx.clock.set(`${TODAY}T10:00:00Z`);
    served.server.on('request', ctx.app);
    shop = await serveApp(shopHandler);
    otherSite = await serveApp(shopHandler);
    await ctx.api
      .post('/api/v1/surveys')
      .send({
        key: SURVEY,
        touchpoint: 'checkout',
        metric: 'nps',
        status: 'active',
        channel: 'web',
        send_delay_minutes: 0,
        quiet_hours: null,
        question: QUESTION,
        comment_prompt: COMMENT_PROMPT,
        thank_you: THANK_YOU,
      })
      .expect(201);
    // An email survey too: its customers have an invitation, but none for the widget.
    await ctx.api.post('/api/v1/surveys').send({ key: 'support-csat', touchpoint: 'support', metric: 'csat', status: 'active', channel: 'email', send_delay_minutes: 0, quiet_hours: null }).expect(201);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await shop?.close();
    await otherSite?.close();
    await served?.close();
    await ctx?.close();
  });
  afterEach(function () {
    // Every step: nothing went wrong in the browser (the steps that expect a refusal take theirs out).
    if (this.currentTest?.state === 'passed') expect(problems, 'console errors, CSP violations, failed requests').to.deep.equal([]);
    problems.length = 0;
  });

  it('an admin lists the shop\'s site and reads the snippet and the widget secret on the Settings page', async () => {
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    await page.goto(`${served.base}/login`);
    await page.fill('#f-email', 'admin@example.com');
    await page.fill('#f-password', 'correct horse battery');
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('button[type="submit"]')]);

    await page.goto(`${served.base}/settings`);
    secret = (await page.textContent('#widget-secret'))?.trim() ?? '';
    expect(secret, 'the widget secret').to.match(/^\S{20,}$/);
    snippet = (await page.textContent('#widget-snippet'))?.trim() ?? '';
    expect(snippet).to.equal(`<script src="${served.base}/widget.js" data-customer="CUSTOMER_ID" data-signature="SIGNATURE" async></script>`);

    await page.fill('#f-widget_origins', `${shop.base}/\n`);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${served.base}/settings/widget-origins` && r.request().method() === 'POST'),
      page.click('form[action="/settings/widget-origins"] button[type="submit"]'),
    ]);
    expect(res.status(), 'the form redirects').to.equal(303);
    await page.waitForLoadState('load');
    expect(await page.textContent('main')).to.contain('The widget\'s sites are saved.');
    // Saved without the trailing slash, exactly the origin a browser sends.
    expect(await page.inputValue('#f-widget_origins')).to.equal(shop.base);
    expect(await page.textContent('#widget-secret'), 'the secret stays the same').to.contain(secret);
    await checkPage(page, '/settings with the widget section');
    await page.context().close();
  });

  it('shows a due web survey on the shop\'s page; the score and comment given there reach the responses and metrics as a web answer, and a reload shows nothing', async () => {
    const ann = await dueCustomer('ann');
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    const asked = await openShop(page, `customer=${ann.id}`);
    expect(asked.status(), 'the widget is given the survey').to.equal(200);

    const dialog = card(page);
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.getAttribute('role')).to.equal('dialog');
    const labelledBy = await dialog.getAttribute('aria-labelledby');
    expect(labelledBy, 'the card is labelled by its heading').to.be.a('string').and.not.equal('');
    expect((await page.locator(`#touchpoint-widget #${labelledBy}`).textContent())?.trim()).to.equal('A quick question');
    expect(await dialog.textContent()).to.contain(QUESTION);
    expect(await page.locator('#touchpoint-widget .tp-score').count(), 'NPS: 0 to 10').to.equal(11);
    expect(await focusedScore(page), 'the first score has the focus').to.equal('0');
    expect(await invitationOf(ann.id, ann.invitationId), 'shown once it is on the page').to.include({ state: 'shown' });

    const [scored] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${served.base}/widget/v1/answer`),
      page.locator('#touchpoint-widget .tp-score[data-score="9"]').click(),
    ]);
    expect(scored.status(), 'the score is taken').to.equal(200);
    expect(await scored.json()).to.deep.equal({ state: 'settled' });
    const comment = page.locator('#touchpoint-widget .tp-comment');
    await comment.waitFor({ state: 'visible' });
    expect(await dialog.textContent()).to.contain(COMMENT_PROMPT);
    await comment.fill('Fast delivery, and the driver was very friendly.');
    const [sent] = await Promise.all([page.waitForResponse((r) => r.url() === `${served.base}/widget/v1/answer`), page.locator('#touchpoint-widget .tp-send').click()]);
    expect(sent.status(), 'the comment is taken').to.equal(200);
    const thanks = page.locator('#touchpoint-widget .tp-thanks');
    expect(await thanks.getAttribute('role')).to.equal('status');
    await page.waitForFunction(
      (text) => document.getElementById('touchpoint-widget')?.shadowRoot?.querySelector('.tp-thanks')?.textContent === text,
      THANK_YOU,
      { timeout: 5_000 },
    );
    expect(await page.locator('#touchpoint-widget .tp-error').textContent(), 'no error shown').to.equal('');

    // The API: one response, a web one, with the score and the comment.
    const listed = await ctx.api.get('/api/v1/responses').query({ survey: SURVEY }).expect(200);
    expect(listed.body.responses).to.have.length(1);
    expect(listed.body.responses[0]).to.include({ survey: SURVEY, score: 9, comment: 'Fast delivery, and the driver was very friendly.', channel: 'web' });
    expect(listed.body.responses[0].properties).to.deep.equal({ region: 'north' });
    const metrics = await ctx.api.get('/api/v1/metrics').query({ survey: SURVEY, from: TODAY, to: TODAY, interval: 'day' }).expect(200);
    expect(metrics.body.overall, 'a 9 is a promoter').to.include({ n: 1, promoters: 1, detractors: 0, score: 100 });
    expect(metrics.body.series).to.have.length(1);
    expect(metrics.body.series[0], 'shown counts as sent, answered as responded').to.include({ n: 1, sent: 1, responded: 1 });
    expect(await invitationOf(ann.id, ann.invitationId)).to.include({ state: 'responded' });

    // A reload: the invitation is no longer due, so nothing shows.
    const again = await openShop(page, `customer=${ann.id}`);
    expect(again.status(), 'nothing due after answering').to.equal(204);
    await expectNoCard(page, 'a reload after answering');
    await page.context().close();
  });

  it('shows a card once: a reload after the card was shown and left alone shows nothing', async () => {
    const ben = await dueCustomer('ben');
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    expect((await openShop(page, `customer=${ben.id}`)).status()).to.equal(200);
    await card(page).waitFor({ state: 'visible' });
    const again = await openShop(page, `customer=${ben.id}`);
    expect(again.status(), 'nothing due after it was shown').to.equal(204);
    await expectNoCard(page, 'a reload after the card was shown');
    expect(await invitationOf(ben.id, ben.invitationId)).to.include({ state: 'shown' });
    await page.context().close();
  });

  it('shows nothing for a bad signature, on a site that is not listed, or to a customer with nothing due', async () => {
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });

    // A bad signature: the customer has a survey due, but the page's signature is not the shop's.
    const cleo = await dueCustomer('cleo');
    const forged = crypto.createHmac('sha256', 'not-the-secret').update(cleo.id, 'utf8').digest('hex');
    const bad = await openShop(page, `customer=${cleo.id}&signature=${forged}`);
    expect(bad.status(), 'a bad signature: nothing due').to.equal(204);
    await expectNoCard(page, 'a bad signature');
    // Another customer's signature is no better.
    const borrowed = await openShop(page, `customer=${cleo.id}&signature=${sign('someone-else')}`);
    expect(borrowed.status(), 'another customer\'s signature: nothing due').to.equal(204);
    await expectNoCard(page, 'another customer\'s signature');
    expect(await invitationOf(cleo.id, cleo.invitationId), 'still waiting after the bad signatures').to.include({ state: 'waiting' });

    // A site nobody listed: the browser keeps the answer from the page (no CORS headers), nothing shows.
    const dan = await dueCustomer('dan');
    const [failed] = await Promise.all([
      page.waitForEvent('requestfailed', (r) => r.url() === `${served.base}/widget/v1/invitation`),
      page.goto(`${otherSite.base}/?customer=${dan.id}`),
    ]);
    expect(failed.failure()?.errorText, 'the request is refused by the browser').to.be.a('string');
    await page.waitForLoadState('load');
    await expectNoCard(page, 'a site that is not listed');
    expect(await invitationOf(dan.id, dan.invitationId), 'not shown on a site that is not listed').to.include({ state: 'waiting' });
    // The refusal itself, as the server gives it: 403 and no CORS headers.
    const refused = await supertest(ctx.app).post('/widget/v1/invitation').set('Origin', otherSite.base).send({ customer: dan.id, signature: sign(dan.id), locale: 'en' });
    expect(refused.status, 'an unlisted origin is refused').to.equal(403);
    expect(refused.headers['access-control-allow-origin'], 'no CORS header for an unlisted origin').to.equal(undefined);
    // The browser said why on the console: only that, and about the widget's request.
    expect(problems.length, 'the browser reports the refused request').to.be.greaterThan(0);
    for (const problem of problems) expect(problem).to.match(/CORS|widget\/v1\/invitation/);
    problems.length = 0;

    // A customer Touchpoint does not know, and one whose only invitation is an email.
    const nobody = await openShop(page, 'customer=never-seen-42');
    expect(nobody.status(), 'an unknown customer: nothing due').to.equal(204);
    await expectNoCard(page, 'an unknown customer');
    await ctx.api.post('/api/v1/events').send({ touchpoint: 'support', transaction_id: 'ticket-1', customer: { id: 'eve-email', email: 'eve@example.com' } }).expect(202);
    const emailOnly = await openShop(page, 'customer=eve-email');
    expect(emailOnly.status(), 'a customer with an email invitation only: nothing due').to.equal(204);
    await expectNoCard(page, 'a customer with an email invitation only');

    // The same pages show the card when everything is right: the refusals above were the signature's and the site's.
    expect((await openShop(page, `customer=${cleo.id}`)).status()).to.equal(200);
    await card(page).waitFor({ state: 'visible' });
    await page.context().close();
  });

  it('fits a 375 × 700 phone: the card is inside the viewport and nothing scrolls sideways', async () => {
    const fay = await dueCustomer('fay');
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    await page.setViewportSize({ width: 375, height: 700 });
    expect((await openShop(page, `customer=${fay.id}`)).status()).to.equal(200);
    const dialog = card(page);
    await dialog.waitFor({ state: 'visible' });
    // Past the entrance animation (transform only) before measuring.
    await page.waitForTimeout(300);
    const box = await dialog.boundingBox();
    expect(box, 'the card has a box').to.not.equal(null);
    expect(box!.x, 'left edge').to.be.at.least(0);
    expect(box!.x + box!.width, 'right edge').to.be.at.most(375);
    expect(box!.y, 'top edge').to.be.at.least(0);
    expect(box!.y + box!.height, 'bottom edge').to.be.at.most(700);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'the document scrolls sideways').to.be.at.most(375);
    // Every score button is on screen.
    for (const button of await page.locator('#touchpoint-widget .tp-score').all()) {
      const b = await button.boundingBox();
      expect(b!.x, 'a score button\'s left edge').to.be.at.least(0);
      expect(b!.x + b!.width, 'a score button\'s right edge').to.be.at.most(375);
    }
    await page.context().close();
  });

  it('passes axe-core (no serious or critical violation) inside the widget, at each step, on a phone and a desktop', async () => {
    for (const width of [375, 1280]) {
      const who = await dueCustomer(`gus${width}`);
      const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
      await page.setViewportSize({ width, height: 700 });
      expect((await openShop(page, `customer=${who.id}`)).status()).to.equal(200);
      await card(page).waitFor({ state: 'visible' });
      expect(await widgetViolations(page), `the question at ${width}px`).to.deep.equal([]);
      await Promise.all([page.waitForResponse((r) => r.url() === `${served.base}/widget/v1/answer`), page.locator('#touchpoint-widget .tp-score[data-score="10"]').click()]);
      await page.locator('#touchpoint-widget .tp-comment').waitFor({ state: 'visible' });
      expect(await widgetViolations(page), `the comment step at ${width}px`).to.deep.equal([]);
      await page.locator('#touchpoint-widget .tp-comment').fill('Great');
      await Promise.all([page.waitForResponse((r) => r.url() === `${served.base}/widget/v1/answer`), page.locator('#touchpoint-widget .tp-send').click()]);
      await page.waitForFunction((text) => document.getElementById('touchpoint-widget')?.shadowRoot?.querySelector('.tp-thanks')?.textContent === text, THANK_YOU, { timeout: 5_000 });
      expect(await widgetViolations(page), `the thanks at ${width}px`).to.deep.equal([]);
      await page.context().close();
    }
  });

  it('Escape dismisses the card: it is gone, focus is back on the page, and the invitation is recorded as dismissed', async () => {
    const hal = await dueCustomer('hal');
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    expect((await openShop(page, `customer=${hal.id}`)).status()).to.equal(200);
    const dialog = card(page);
    await dialog.waitFor({ state: 'visible' });
    expect(await focusedScore(page), 'the first score has the focus').to.equal('0');

    const [dismissed] = await Promise.all([page.waitForResponse((r) => r.url() === `${served.base}/widget/v1/dismiss`), page.keyboard.press('Escape')]);
    expect(dismissed.status(), 'the dismissal is taken').to.equal(204);
    expect(await dialog.count(), 'the card is gone').to.equal(0);
    expect(await page.evaluate(() => document.activeElement?.id), 'focus goes back to where it was').to.equal('shop-button');

    const invitation = await invitationOf(hal.id, hal.invitationId);
    expect(invitation).to.include({ state: 'dismissed', channel: 'web' });
    const timeline = await ctx.api.get(`/api/v1/customers/${hal.id}/timeline`).expect(200);
    const kinds = timeline.body.timeline.map((e: { kind: string }) => e.kind);
    expect(kinds).to.include('dismissed');
    expect(kinds, 'no answer from a dismissal').not.to.include('response');

    // Not shown again on the next page view.
    expect((await openShop(page, `customer=${hal.id}`)).status()).to.equal(204);
    await expectNoCard(page, 'after a dismissal');
    await page.context().close();
  });
});

describe('widget.js', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await createTestContext();
  });
  after(async () => {
    await ctx?.close();
  });

  it('is under 15 KiB gzipped, served as JavaScript any site may load', async () => {
    const res = await supertest(ctx.app).get('/widget.js').buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/javascript/);
    expect(res.headers['cross-origin-resource-policy']).to.equal('cross-origin');
    const body = res.body as Buffer;
    expect(body.length, 'the script is not empty').to.be.greaterThan(1000);
    const gzipped = zlib.gzipSync(body).length;
    expect(gzipped, `gzipped size (${gzipped} bytes)`).to.be.below(15 * 1024);
  });
});
