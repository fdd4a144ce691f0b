import path from 'node:path';
import type { Deps } from '../deps.ts';
import { handlebars, viewsDir } from '../http/views.ts';
import { getSettings, type Settings } from '../settings/service.ts';
import type { OutgoingMail } from '../mail/transport.ts';
import { findUserById, type UserRow } from '../auth/queries.ts';
import { passwordLinkUrl, type IssuedLink } from '../auth/links.ts';
import type { UserTokenPurpose } from '../auth/token-queries.ts';
import { fromAddress } from '../mail/sender.ts';
import { pickLocale, t, type Locale } from '../i18n/index.ts';
import { formatInstant } from '../dates.ts';

const templates = path.join(viewsDir, 'emails');

/** Whom an account email goes to; their language and first sign-in are read from the database when not given. */
type AccountMailUser = Pick<UserRow, 'id' | 'email' | 'name'> & Partial<Pick<UserRow, 'locale' | 'last_login_at'>>;

/** What a caller may add: the language of whoever sent the email (the admin who invited), when known. */
interface AccountMailOptions {
  senderLocale?: string | null;
}

/**
 * The language of an account email. Someone who has signed in has chosen theirs (the Account page; the
 * pages they read followed it): that one. Someone who has not (a new invitation, a reset before the first
 * sign-in) has chosen nothing yet: the sender's language when known, else the workspace's default language.
 */
async function accountMailLocale(
  db: Deps['db'],
  user: AccountMailUser,
  settings: Pick<Settings, 'default_locale'>,
  options: AccountMailOptions = {},
): Promise<Locale> {
  const row = user.locale === undefined || user.last_login_at === undefined ? await findUserById(db, user.id) : undefined;
  const locale = user.locale ?? row?.locale;
  const signedIn = (user.last_login_at ?? row?.last_login_at ?? null) !== null;
  if (signedIn && locale) return pickLocale(locale);
  return pickLocale(options.senderLocale, pickLocale(settings.default_locale));
}

/**
 * When a link stops working, as its reader says it: in the workspace's reporting time zone, named, in
 * their language ("30 November 2026 at 11:00 CET", "30. November 2026 um 11:00 MEZ").
 */
const linkExpiry = (at: Date, timeZone: string, locale: Locale): string => formatInstant(at, { timeZone, locale, style: 'long', zone: true });

/** The email with a link to set one's password, in the recipient's language (accountMailLocale), its expiry in the reporting time zone. */
async function renderPasswordLinkMail(
  deps: Pick<Deps, 'config' | 'db'>,
  user: AccountMailUser,
  link: IssuedLink,
  purpose: UserTokenPurpose,
  options: AccountMailOptions,
): Promise<OutgoingMail> {
  const settings = await getSettings(deps.db);
  const locale = await accountMailLocale(deps.db, user, settings, options);
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
    validity: t(locale, `account.${purpose}_validity`, { until: linkExpiry(link.expiresAt, settings.reporting_time_zone, locale) }),
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
export async function sendAccountMail(
  deps: Deps,
  user: AccountMailUser,
  link: IssuedLink,
  purpose: UserTokenPurpose,
  options: AccountMailOptions = {},
): Promise<AccountMailRoute> {
  const base = { userId: user.id, purpose, linkId: link.id };
  if (accountLinksGoToLog(deps)) {
    const url = passwordLinkUrl(deps.config.baseUrl, link.token);
    deps.log.info({ ...base, to: user.email, link: url, expiresAt: link.expiresAt.toISOString() }, `no mail server is set (SMTP_URL): ${what[purpose]} for ${user.email}: ${url}`);
    return 'logged';
  }
  const mail = await renderPasswordLinkMail(deps, user, link, purpose, options);
  await deps.mail.send(mail);
  deps.log.info({ ...base, transport: deps.mail.kind }, 'password link sent');
  return 'sent';
}
