import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { checkPage, launchChromium, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { createUser } from '../../server/auth/service.ts';

/**
 * The API keys pages in a browser: an editor creates a narrow key with the checkboxes (customers:write is
 * not theirs to give) and an expiry date; an admin narrows a key's scopes on its own page. Each page passes
 * axe-core (no serious or critical violation) and fits 320 px.
 */
describe('API keys pages in a browser', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let browser: Browser;
  const problems: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    ctx = await createTestContext();
    await createUser(ctx.deps.db, { email: 'editor@example.com', role: 'editor', password: 'correct horse battery' }, ctx.clock.now());
    served = await serveApp(ctx.app);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  const signIn = async (email: string): Promise<Page> => {
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    await page.goto(`${served.base}/login`);
    await page.fill('#f-email', email);
    await page.fill('#f-password', 'correct horse battery');
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('button[type="submit"]')]);
    return page;
  };

  it('an editor creates a narrow key with an expiry; customers:write is not offered to them', async () => {
    const page = await signIn('editor@example.com');
    await page.goto(`${served.base}/api-keys`);
    await checkPage(page, '/api-keys (editor)');
    expect(await page.isDisabled('#f-scope-customers-write')).to.equal(true);
    expect(await page.isChecked('#f-scope-customers-write')).to.equal(false);
    expect(await page.isChecked('#f-scope-events-write')).to.equal(true);

    await page.fill('#f-name', 'Shop backend');
    for (const scope of ['surveys-read', 'surveys-write', 'metrics-read', 'responses-read', 'customers-read', 'webhooks-write']) await page.uncheck(`#f-scope-${scope}`);
    await page.fill('#f-expires', '2027-03-31');
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form.stack button[type="submit"]')]);
    expect(res.status()).to.equal(201);
    await checkPage(page, 'key created');
    const row = await ctx.deps.db('api_keys').where({ name: 'Shop backend' }).first();
    expect(row.scopes).to.equal('events:write');
    expect(row.expires_at).to.equal('2027-04-01T00:00:00.000Z');
    expect(row.created_by_label).to.equal('editor@example.com');
  });

  it('an admin narrows the scopes of a key on its page', async () => {
    const page = await signIn('admin@example.com');
    await page.goto(`${served.base}/api-keys`);
    await checkPage(page, '/api-keys (admin)');
    await Promise.all([page.waitForURL(/\/api-keys\/\d+$/), page.click('a:text-is("tests")')]);
    await checkPage(page, 'the key page');
    for (const scope of ['events-write', 'surveys-write', 'customers-write', 'webhooks-write']) await page.uncheck(`#f-scope-${scope}`);
    await Promise.all([page.waitForURL(/\/api-keys\/\d+$/), page.click('button:text-is("Save scopes")')]);
    expect(await page.textContent('.flash')).to.contain('now has the scopes surveys:read, metrics:read, responses:read, customers:read');
    expect((await ctx.deps.db('api_keys').where({ name: 'tests' }).first()).scopes).to.equal('surveys:read metrics:read responses:read customers:read');
    // Only the key's own scopes are offered now.
    expect(await page.locator('input[name="scopes"]').count()).to.equal(4);
    expect(problems).to.deep.equal([]);
  });
});
