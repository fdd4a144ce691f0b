import path from 'node:path';
import type { Deps } from '../deps.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { getSettings } from '../settings/service.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import type { UserRow } from '../auth/queries.ts';
import { passwordLinkUrl, type IssuedLink } from '../auth/links.ts';
import type { UserTokenPurpose } from '../auth/token-queries.ts';
import { fromAddress } from '../mail/sender.ts';
import { t, type Locale } from '../i18n/index.ts';

const templates = path.join(viewsDir, 'emails');

const utc = (at: Date) => at.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

/** The email with a link to set one's password, in English (the app's pages are English; the catalogue has its German texts too). */
async function renderPasswordLinkMail(
  deps: Pick<Deps, 'config' | 'db'>,
  user: Pick<UserRow, 'email' | 'name'>,
  link: IssuedLink,
  purpose: UserTokenPurpose,
): Promise<OutgoingMail> {
  const settings = await getSettings(deps.db);
  const locale: Locale = 'en';
  const subject = t(locale, `account.${purpose}_subject`);
  const url = passwordLinkUrl(deps.config.baseUrl, link.token);
  const name = user.name.trim();
  const context = {
    locale,
    subject,
    greeting: name ? t(locale, 'account.greeting', { name }) : t(locale, 'account.greeting_anonymous'),
    intro: t(locale, `account.${purpose}_intro`),
    button: t(locale, `account.${purpose}_button`),
    url,
    email: user.email,
    validity: t(locale, `account.${purpose}_validity`, { until: utc(link.expiresAt) }),
    ignore: t(locale, `account.${purpose}_ignore`),
  };
  const [html, text] = await Promise.all([
    handlebars.render(path.join(templates, 'account-link.html.hbs'), context, { cache: true }),
    handlebars.render(path.join(templates, 'account-link.text.hbs'), context, { cache: true }),
  ]);
  return {
    messageId: `<account-${purpose}-${link.id}@${new URL(deps.config.baseUrl).hostname}>`,
    from: fromAddress(settings, deps.config),
    to: user.email,
    subject,
    html,
    text,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
  };
}

/** Where an account email went: to its addressee by SMTP, or (no mail server) to the server log. */
export type AccountMailRoute = 'sent' | 'logged';

const what: Record<UserTokenPurpose, string> = { invite: 'invitation link', reset: 'password reset link' };

/** Whether account links go to the server log (no mail server: the mail transport is the development mailbox); pages say so. */
export const accountLinksGoToLog = (deps: Pick<Deps, 'mail'>): boolean => deps.mail.kind === 'mailbox';

/**
 * The one place that decides where an account email (a password reset, a
 * user invitation) goes. Its link is a key to the account, so it never goes
 * to the development mailbox, which other staff read: with SMTP_URL it is
 * sent to its addressee; without, the link is written to the server log (one
 * info line) for the admin at the console to pass on.
 */
export async function sendAccountMail(deps: Deps, user: Pick<UserRow, 'id' | 'email' | 'name'>, link: IssuedLink, purpose: UserTokenPurpose): Promise<AccountMailRoute> {
  const base = { userId: user.id, purpose, linkId: link.id };
  if (accountLinksGoToLog(deps)) {
    const url = passwordLinkUrl(deps.config.baseUrl, link.token);
    deps.log.info({ ...base, to: user.email, link: url, expiresAt: link.expiresAt.toISOString() }, `no mail server is set (SMTP_URL): ${what[purpose]} for ${user.email}: ${url}`);
    return 'logged';
  }
  const mail = await renderPasswordLinkMail(deps, user, link, purpose);
  await deps.mail.send(mail);
  deps.log.info({ ...base, transport: deps.mail.kind }, 'password link sent');
  return 'sent';
}
