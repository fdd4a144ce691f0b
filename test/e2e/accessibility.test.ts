import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { artifactsPath, launchChromium, makeArtifactsDir, serveApp, skipWithoutChromium, type ServedApp } from '../helpers/browser.ts';
import { seedInvitation, TEST_WORKER } from '../helpers/invitations.ts';
import { loadDemo } from '../../server/demo/seed.ts';
import { HOUR } from '../../server/clock.ts';
import { deliverInvitation } from '../../server/sending/service.ts';
import { getSettings, updateSettings } from '../../server/settings/service.ts';
import { inviteUser } from '../../server/accounts/invite.ts';

/*
 * Issue 5, "How well": every page with a form or a table, the customer's survey
 * pages and the invitation email pass axe-core with no serious or critical
 * violation, at 1100 px and at 320 px wide, and nothing scrolls sideways at 320 px.
 */

const artifacts = artifactsPath('a11y');
const widths = [1100, 320] as const;
const SURVEY = 'delivery-nps';

type Kind = 'signed-in' | 'signed-out' | 'public';
interface Target {
  name: string;
  kind: Kind;
  /** Opens the page in `page`; returns the main response (null when the page was set, not loaded). */
  open(page: Page, width: number): Promise<Response | null>;
}

describe('accessibility: axe-core (no serious or critical violation) and 320 px width on every form and table page', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let served: ServedApp;
  let base: string;
  let browser: Browser;
  let signedIn: BrowserContext;
  let signedOut: BrowserContext;
  let adminPage: Page;
  let guestPage: Page;

  const earlier = () => new Date(ctx.clock.now().getTime() - HOUR);
  const sentInvitation = () => seedInvitation(ctx, { surveyKey: SURVEY, state: 'sent', sentAt: earlier() });
  const go = (path: string) => (page: Page) => page.goto(`${base}${path}`);
  /** Sends a new invitation through the worker's delivery step into the development mailbox; returns its mailbox row. */
  const sendInvitationEmail = async (): Promise<{ id: number; html: string }> => {
    const { invitationId } = await seedInvitation(ctx, { surveyKey: SURVEY, state: 'sending', sendAt: earlier() });
    const outcome = await deliverInvitation(ctx.deps, invitationId, await getSettings(ctx.deps.db), TEST_WORKER);
    expect(outcome, 'the invitation is sent to the development mailbox').to.equal('sent');
    const { message_id: messageId } = await ctx.deps.db('invitations').where({ id: invitationId }).first('message_id');
    const row = await ctx.deps.db('mailbox_messages').where({ message_id: messageId }).orderBy('id', 'desc').first('id', 'html');
    expect(row?.html, 'the mailbox holds the HTML part').to.be.a('string');
    return row;
  };
  /** Submits a form and returns the response to the POST, whose status is checked. */
  const submit = async (page: Page, button: string, status: number) => {
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click(button)]);
    await page.waitForLoadState('load');
    expect(res.status(), `the form answers ${status}`).to.equal(status);
    return res;
  };

  const targets: Target[] = [
    { name: '/login', kind: 'signed-out', open: (p) => go('/login')(p) },
    { name: '/password/forgot', kind: 'signed-out', open: (p) => go('/password/forgot')(p) },
    {
      name: '/password/set/<token> (invited user)',
      kind: 'signed-out',
      async open(p) {
        const { link } = await inviteUser(ctx.deps.db, { email: `invited-${Math.random().toString(36).slice(2)}@example.com`, role: 'viewer' }, ctx.clock.now());
        return go(`/password/set/${link.token}`)(p);
      },
    },
    ...[
      '/dashboard',
      `/dashboard/${SURVEY}`,
      '/surveys',
      '/surveys/new',
      `/surveys/${SURVEY}`,
      `/surveys/${SURVEY}/simulate`,
      `/surveys/${SURVEY}/preview`,
      '/mailbox',
      '/users',
      '/users/new',
      '/settings',
      '/api-keys',
      '/webhooks',
      '/account',
      '/customers',
      '/deliveries',
      '/follow-ups',
      '/digest',
      '/audit',
      '/getting-started',
    ].map((name): Target => ({ name, kind: 'signed-in', open: (p) => go(name)(p) })),
    {
      name: '/mailbox/<id>',
      kind: 'signed-in',
      async open(p) {
        const { id } = await sendInvitationEmail();
        return go(`/mailbox/${id}`)(p);
      },
    },
    {
      name: '/customers/<id>',
      kind: 'signed-in',
      async open(p) {
        // A customer with a full timeline: an event, an invitation and a response.
        const row = await ctx.deps.db('responses')
          .join('invitations', 'invitations.id', 'responses.invitation_id')
          .join('customers', 'customers.id', 'invitations.customer_id')
          .orderBy('responses.id')
          .first('customers.external_id');
        return go(`/customers/${encodeURIComponent(row.external_id)}`)(p);
      },
    },
    {
      name: '/deliveries/<id> (a sent invitation)',
      kind: 'signed-in',
      async open(p) {
        const row = await ctx.deps.db('invitations').where({ state: 'sent' }).orderBy('id', 'desc').first('id');
        return go(`/deliveries/${row.id}`)(p);
      },
    },
    {
      name: 'open as the customer (the survey page as a preview)',
      kind: 'signed-in',
      async open(p) {
        await go(`/deliveries/${(await sentInvitation()).invitationId}`)(p);
        return submit(p, 'form[action$="/as-customer"] button[type="submit"]', 200);
      },
    },
    {
      name: 'open as the customer, the thank-you page',
      kind: 'signed-in',
      async open(p) {
        await go(`/deliveries/${(await sentInvitation()).invitationId}`)(p);
        await submit(p, 'form[action$="/as-customer"] button[type="submit"]', 200);
        await p.check('#score-9');
        await p.fill('#comment', 'A comment in the preview');
        return submit(p, '#survey-form button[type="submit"]', 200);
      },
    },
    {
      name: '/users/new with errors',
      kind: 'signed-in',
      async open(p) {
        await go('/users/new')(p);
        return submit(p, 'form.stack button[type="submit"]', 422);
      },
    },
    {
      name: '/settings with errors',
      kind: 'signed-in',
      async open(p) {
        await go('/settings')(p);
        expect(await p.locator('.logo-preview img[alt="Your logo"]').count(), 'the saved logo is previewed').to.equal(1);
        await p.fill('#f-token_expiry_days', '');
        await p.fill('#f-sender_address', 'not an address');
        return submit(p, 'form.settings button[type="submit"]', 422);
      },
    },
    {
      name: '/api-keys (key just created)',
      kind: 'signed-in',
      async open(p) {
        await go('/api-keys')(p);
        await p.fill('#f-name', `a11y ${Math.random().toString(36).slice(2)}`);
        return submit(p, 'form.stack button[type="submit"]', 201);
      },
    },
    {
      name: '/r/<token>?score=9',
      kind: 'public',
      async open(p) {
        const { token } = await sentInvitation();
        return go(`/r/${token}?score=9`)(p);
      },
    },
    {
      name: 'thank-you page (/r/<token> after answering)',
      kind: 'public',
      async open(p) {
        const { token } = await sentInvitation();
        await go(`/r/${token}?score=9`)(p);
        const [answered] = await Promise.all([
          p.waitForResponse((res) => res.url().includes(`/r/${token}`) && res.request().method() === 'POST'),
          p.click('#survey-form button[type="submit"]'),
        ]);
        await p.waitForLoadState('load');
        expect(answered.status(), 'the answer is accepted').to.be.below(400);
        expect(await p.locator('.survey-thanks').count(), 'the thank-you page shows').to.equal(1);
        return answered;
      },
    },
    { name: `/s/${SURVEY}`, kind: 'public', open: (p) => go(`/s/${SURVEY}`)(p) },
    {
      name: '/u/<token>',
      kind: 'public',
      async open(p) {
        const { token } = await sentInvitation();
        return go(`/u/${token}`)(p);
      },
    },
    {
      name: 'invitation email (HTML from the development mailbox)',
      kind: 'public',
      async open(p) {
        const row = await sendInvitationEmail();
        // A blank document first: setContent writes into the current one, whose CSP (the app's) would block the email's inline styles.
        await p.goto('about:blank');
        await p.setContent(row.html, { waitUntil: 'load' });
        return null;
      },
    },
  ];

  before(async function () {
    skipWithoutChromium(this);
    ctx = await createTestContext();
    await loadDemo(ctx.deps);
    // Its public web link is off until turned on; the web-link page is checked too.
    await ctx.deps.db('surveys').where({ key: SURVEY }).update({ public_link: true });
    // A logo, so the settings page shows its preview (and, once wired, the email and survey pages show it too).
    await updateSettings(ctx.deps.db, { logo_url: 'https://logo.invalid/acme.png', sender_name: 'Acme care' });
    served = await serveApp(ctx.app);
    base = served.base;
    browser = await launchChromium();
    signedOut = await browser.newContext();
    guestPage = await signedOut.newPage();
    signedIn = await browser.newContext();
    adminPage = await signedIn.newPage();
    makeArtifactsDir(artifacts);
  });

  after(async () => {
    await browser?.close();
    await served?.close();
    await ctx?.close();
  });

  it('signs the admin in through the login form', async () => {
    await adminPage.goto(`${base}/login`);
    await adminPage.fill('#f-email', 'admin@example.com');
    await adminPage.fill('#f-password', 'correct horse battery');
    await Promise.all([adminPage.waitForURL((url) => !url.pathname.startsWith('/login')), adminPage.click('button[type="submit"]')]);
    expect(await adminPage.textContent('.who')).to.contain('admin@example.com');
  });

  for (const target of targets) {
    for (const width of widths) {
      const label = `${target.name} at ${width}px`;
      it(label, async function () {
        const page = target.kind === 'signed-in' ? adminPage : guestPage;
        await page.setViewportSize({ width, height: 800 });
        const res = await target.open(page, width);
        if (res && res.request().method() === 'GET') expect(res.status(), `${target.name} answers`).to.be.below(400);
        if (target.kind === 'signed-in') expect(new URL(page.url()).pathname, 'still signed in').not.to.equal('/login');
        await page.screenshot({ path: path.join(artifacts, `${slug(target.name)}-${width}.png`), fullPage: true });

        const builder = new AxeBuilder({ page });
        // axe cannot run inside sandboxed frames (the email and survey previews); what they show is checked on its own here.
        builder.exclude('iframe[sandbox]');
        const { violations } = await builder.analyze();
        const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        const report = bad
          .map((v) => `  ${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    at ${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 240)}` : ''}`).join('\n')}`)
          .join('\n');
        expect(bad.length, `${label}: ${bad.length} serious/critical axe violation(s):\n${report}\n`).to.equal(0);

        // One primary button per page (issue 16): every other action is a secondary button or a link.
        const primary = await page.$$eval('button, a.button, input[type="submit"]', (els) =>
          els
            .filter((el) => !el.closest('iframe') && !['secondary', 'link', 'menu-toggle'].some((c) => el.classList.contains(c)) && (el as HTMLElement).offsetParent !== null)
            .map((el) => el.textContent!.trim()),
        );
        expect(primary, `${label}: primary buttons`).to.have.length.at.most(1);

        if (width === 320) {
          const wide = await page.evaluate(() => {
            const scrollWidth = document.documentElement.scrollWidth;
            const over = [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > 321)
              .slice(0, 5)
              .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''} (right edge ${Math.round(el.getBoundingClientRect().right)}px)`);
            return { scrollWidth, over };
          });
          expect(wide.scrollWidth, `${label}: scrolls sideways (scrollWidth ${wide.scrollWidth}); widest: ${wide.over.join(', ')}`).to.be.at.most(321);
          // The answer page: the 0–10 scale on one row, every button a tap target of at least 24 × 24 px (WCAG 2.2 AA).
          const scale = await page.evaluate(() => [...document.querySelectorAll('.scale-option label')].map((el) => el.getBoundingClientRect()).map((r) => ({ top: Math.round(r.top), width: r.width, height: r.height })));
          if (scale.length) {
            expect(new Set(scale.map((b) => b.top)).size, `${label}: the scale's rows`).to.equal(1);
            for (const b of scale) expect(Math.min(b.width, b.height), `${label}: a score button's size`).to.be.at.least(24);
          }
        }
      });
    }
  }

  describe('/setup on an empty database', function () {
    let empty: TestContext;
    let emptyServed: ServedApp;
    let emptyBase: string;
    let page: Page;

    before(async function () {
      skipWithoutChromium(this, { quiet: true });
      empty = await createTestContext();
      await empty.deps.db('api_keys').del();
      await empty.deps.db('users').del();
      emptyServed = await serveApp(empty.app);
      emptyBase = emptyServed.base;
      // A browser in Berlin: setup guesses the reporting time zone from it.
      page = await (await browser.newContext({ timezoneId: 'Europe/Berlin' })).newPage();
    });

    after(async () => {
      await page?.context().close();
      await emptyServed?.close();
      await empty?.close();
    });

    for (const width of widths) {
      it(`/setup at ${width}px`, async () => {
        await page.setViewportSize({ width, height: 800 });
        const res = await page.goto(`${emptyBase}/setup`);
        expect(res?.status()).to.equal(200);
        await page.screenshot({ path: path.join(artifacts, `setup-${width}.png`), fullPage: true });
        const { violations } = await new AxeBuilder({ page }).analyze();
        const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(bad.map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).to.deep.equal([]);
        if (width === 320) expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(321);
        expect(await page.locator('#f-reporting_time_zone').inputValue(), 'the zone chosen from the browser').to.equal('Europe/Berlin');
      });
    }
  });
});

const slug = (name: string) =>
  name
    .replace(/<token>/g, 'token')
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase() || 'root';
