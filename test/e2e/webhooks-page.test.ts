import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { checkPage, launchChromium, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { deliverDueWebhooks } from '../../server/webhooks/delivery.ts';
import { createSurvey } from '../../server/surveys/service.ts';

/**
 * The Webhooks pages in a browser: an admin adds an endpoint (a loopback receiver) with the checkboxes,
 * copies the secret shown once, sends a test event from the endpoint's page, and sees the delivered attempt
 * there; the receiver verifies the signature with that secret. Each page passes axe-core (no serious or
 * critical violation) and fits 320 px.
 */
describe('Webhooks pages in a browser', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let browser: Browser;
  let receiver: http.Server;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const problems: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    ctx = await createTestContext({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    served = await serveApp(ctx.app);
    browser = await launchChromium();
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** A new page signed in as the first admin. */
  const signInAsAdmin = async () => {
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    await page.goto(`${served.base}/login`);
    await page.fill('#f-email', 'admin@example.com');
    await page.fill('#f-password', 'correct horse battery');
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('button[type="submit"]')]);
    return page;
  };

  it('an admin adds an endpoint, sends a test event and sees it delivered, signed with the secret shown once', async () => {
    const page = await signInAsAdmin();

    await page.goto(`${served.base}/webhooks`);
    await checkPage(page, '/webhooks');
    // A bad URL: the form says which field and why.
    await page.fill('#f-url', 'not a url');
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form.stack button[type="submit"]')]);
    expect(await page.textContent('#f-url-error')).to.contain('must be an absolute URL');
    // That 422 was asked for; any other failed request from here on is a problem.
    expect(problems.filter((p) => !p.includes('422'))).to.deep.equal([]);
    problems.length = 0;

    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    await page.fill('#f-url', url);
    await page.fill('#f-description', 'CRM');
    await page.check('#f-event-followup-created');
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form.stack button[type="submit"]')]);
    expect(res.status()).to.equal(201);
    await checkPage(page, 'webhook added');
    const secret = await page.inputValue('#new-secret');
    expect(secret).to.match(/^whsec_/);
    const row = await ctx.deps.db('webhook_endpoints').first();
    expect(JSON.parse(row.events)).to.deep.equal(['response.created', 'followup.created']);

    await Promise.all([page.waitForURL(/\/webhooks\/\d+$/), page.click('a:text-is("Done")')]);
    await checkPage(page, 'the endpoint page');
    await Promise.all([page.waitForURL(/\/webhooks\/\d+$/), page.click('button:text-is("Send a test event")')]);
    expect(await page.textContent('main')).to.contain('A test event is on its way');
    await deliverDueWebhooks(ctx.deps);
    await page.reload();
    expect(await page.textContent('main')).to.match(/HTTP 200/);
    await checkPage(page, 'the endpoint page with a delivery');
    expect(received).to.have.length(1);
    const event = new Webhook(secret).verify(received[0].body, received[0].headers as Record<string, string>) as { type: string };
    expect(event.type).to.equal('webhook.test');
    expect(problems).to.deep.equal([]);
  });

  it('an admin posts a survey\'s alerts to Slack: chosen on the form, a test alert arrives formatted for Slack', async () => {
    await createSurvey(ctx.deps.db, { key: 'delivery-nps', touchpoint: 'delivery', metric: 'nps', status: 'active' }, ctx.clock.now());
    received.length = 0;
    const page = await signInAsAdmin();
    await page.goto(`${served.base}/webhooks`);
    await page.fill('#f-url', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slack`);
    await page.selectOption('#f-kind', 'slack');
    await page.selectOption('#f-survey', 'delivery-nps');
    await page.selectOption('#f-scores', 'passives_and_detractors');
    await Promise.all([page.waitForURL(/\/webhooks\/\d+$/), page.click('form.stack button[type="submit"]')]);
    expect(await page.textContent('main')).to.contain('Alerts of delivery-nps now go to Slack');
    await checkPage(page, 'the Slack endpoint page');
    await Promise.all([page.waitForURL(/\/webhooks\/\d+$/), page.click('button:text-is("Send a test event")')]);
    await deliverDueWebhooks(ctx.deps);
    expect(received).to.have.length(1);
    const body = JSON.parse(received[0].body) as { text: string; blocks: unknown[] };
    expect(body.text).to.contain('NPS 0 (detractor) on delivery');
    expect(body.blocks).to.have.length(3);
    expect(problems).to.deep.equal([]);
  });
});
