import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'otplib';
import jsQRModule from 'jsqr';
import { createTestContext, TEST_PASSWORD, type TestContext } from '../helpers/context.ts';
import { checkPage, launchChromium, openWatchedPage, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { createUser } from '../../server/auth/service.ts';

/**
 * Two-factor sign-in in a browser, as a person does it: on Your account, turn it on; scan the QR code
 * (decoded here from the picture the page shows) or read the key beside it; type the code the app shows;
 * keep the recovery codes; sign out; sign in with the password, then a code. The enrolment, recovery-code
 * and code pages pass axe-core (no serious or critical violation) and fit 320 px.
 */
// jsqr is CommonJS whose types say `export default`: under NodeNext the default import is module.exports.
const jsQR = jsQRModule.default;

describe('two-factor sign-in in a browser', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let browser: Browser;
  const problems: string[] = [];
  const email = 'casey@example.com';

  before(async function () {
    skipWithoutChromium(this);
    ctx = await createTestContext();
    await createUser(ctx.deps.db, { email, role: 'editor', password: TEST_PASSWORD }, ctx.clock.now());
    served = await serveApp(ctx.app);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  /** The code the app would show now (the app runs on the test's clock). */
  const codeFor = (secret: string) => generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) });

  /** What the QR code on the page says, read from the picture as a phone would. */
  async function scanQr(page: Page): Promise<string | null> {
    const image = await page.evaluate(async () => {
      const img = document.querySelector('img.qr') as HTMLImageElement;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth * 2;
      canvas.height = img.naturalHeight * 2;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#fff';
      g.fillRect(0, 0, canvas.width, canvas.height);
      g.drawImage(img, 0, 0, canvas.width, canvas.height);
      return { width: canvas.width, height: canvas.height, data: Array.from(g.getImageData(0, 0, canvas.width, canvas.height).data) };
    });
    return jsQR(Uint8ClampedArray.from(image.data), image.width, image.height)?.data ?? null;
  }

  it('enrols with the QR code and the typed code, keeps the recovery codes, and signs in again with a code', async () => {
    const page = await openWatchedPage(browser, problems, { ignoreFavicon: true });
    await page.goto(`${served.base}/login`);
    await page.fill('#f-email', email);
    await page.fill('#f-password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click('main button[type="submit"]')]);

    await page.goto(`${served.base}/account`);
    await Promise.all([page.waitForURL(/\/account\/two-factor\/setup$/), page.click('a:text-is("Turn on two-factor sign-in")')]);
    await checkPage(page, 'the enrolment page');

    // The QR code: a picture with a text alternative, that an authenticator app can read.
    const qr = page.locator('img.qr');
    expect(await qr.getAttribute('alt')).to.equal(`QR code that adds Touchpoint (${email}) to an authenticator app`);
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).to.equal(true);
    const scanned = await scanQr(page);
    expect(scanned, 'the QR code decodes').to.be.a('string');
    const uri = new URL(scanned!);
    expect(uri.protocol).to.equal('otpauth:');
    expect(uri.host).to.equal('totp');
    expect(decodeURIComponent(uri.pathname)).to.equal(`/Touchpoint:${email}`);
    expect(uri.searchParams.get('issuer')).to.equal('Touchpoint');
    // The key beside it, as a person would type it, is the one in the QR code.
    const secret = (await page.textContent('#two-factor-secret'))!.replace(/\s+/g, '');
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    expect(uri.searchParams.get('secret')).to.equal(secret);

    await page.fill('#f-code', await codeFor(secret));
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('main button:text-is("Turn on two-factor sign-in")')]);
    expect(await page.textContent('h1')).to.equal('Your recovery codes');
    const codes = await page.locator('ol.recovery-codes code').allTextContents();
    expect(codes).to.have.length(10);
    for (const code of codes) expect(code).to.match(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    await checkPage(page, 'the recovery codes page');
    await Promise.all([page.waitForURL(/\/account$/), page.click('a:text-is("I have kept my recovery codes")')]);
    expect(await page.textContent('main')).to.contain('Two-factor sign-in is on');
    await Promise.all([page.waitForURL(/\/account\/two-factor$/), page.click('a:text-is("Manage two-factor sign-in")')]);
    await checkPage(page, 'the manage page');
    expect(await page.textContent('main')).to.contain('You have 10 of 10 recovery codes left.');

    // Sign out, and in again: the password, then a code.
    await Promise.all([page.waitForURL(/\/login$/), page.click('button:text-is("Sign out")')]);
    await page.fill('#f-email', email);
    await page.fill('#f-password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(/\/login\/code$/), page.click('main button[type="submit"]')]);
    await checkPage(page, 'the code page');
    expect(await page.getAttribute('#f-code', 'autocomplete')).to.equal('one-time-code');
    // Not signed in yet.
    await page.goto(`${served.base}/dashboard`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.goto(`${served.base}/login/code`);
    // The next code (the one used at enrolment cannot be used again).
    ctx.clock.advance(30_000);
    await page.fill('#f-code', await codeFor(secret));
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click('main button:text-is("Sign in")')]);
    expect(await page.textContent('.topbar')).to.contain(email);

    // The recovery-code form is there for a lost phone, closed until asked for, and usable at 320 px.
    await page.click('button:text-is("Sign out")');
    await page.waitForURL(/\/login$/);
    await page.fill('#f-email', email);
    await page.fill('#f-password', TEST_PASSWORD);
    await Promise.all([page.waitForURL(/\/login\/code$/), page.click('main button[type="submit"]')]);
    await page.setViewportSize({ width: 320, height: 700 });
    expect(await page.isVisible('#f-recovery_code')).to.equal(false);
    await page.click('summary:text-is("Use a recovery code instead")');
    await page.fill('#f-recovery_code', codes[0]);
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click('button:text-is("Sign in with a recovery code")')]);
    expect(await page.textContent('.flash')).to.contain('You have 9 recovery codes left.');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(321);
    expect(problems).to.deep.equal([]);
  });
});
