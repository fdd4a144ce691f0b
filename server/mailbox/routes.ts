import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { findMailboxMessage, listMailboxMessages, type MailboxMessageRow } from '../mail/mailbox-queries.ts';
import { requireRole } from '../auth/middleware.ts';
import { inertLinks } from '../tokens.ts';
import { nextScheduled } from '../invitations/queue-stats.ts';
import { isTestInvitationMail } from '../invitations/queries.ts';
import { localeOf, t } from '../i18n/index.ts';

const LIST_LIMIT = 200;

/**
 * A stored message as staff see it: every link token in its parts and
 * headers replaced by the inert placeholder. The row stays as delivered (the
 * mailbox plays the mail server); what leaves it never carries a live token,
 * but for a test invitation's (`live`: sent to the person who asked for it, by
 * the first-run checklist), whose links are theirs to answer.
 */
function shownMessage(row: MailboxMessageRow, live: boolean): Omit<MailboxMessageRow, 'headers'> & { headers: Record<string, string>; live: boolean } {
  const headers = JSON.parse(row.headers || '{}') as Record<string, string>;
  const shown = live ? (text: string) => text : inertLinks;
  return {
    ...row,
    live,
    html: row.html === null ? null : shown(row.html),
    text: row.text === null ? null : shown(row.text),
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, shown(String(value))])),
  };
}

/** The HTML part as the frame shows it: its links open the real page in a new tab (the frame lets them out of its sandbox). */
const linksInNewTab = (html: string): string => (/<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}<base target="_blank">`) : `<base target="_blank">${html}`);

/**
 * /mailbox: the development mailbox (mail stored when SMTP_URL is unset), for
 * admins. Customers' emails are shown with inert links. The HTML part is
 * served on its own URL with a sandboxing CSP and shown in a sandboxed frame:
 * it is rendered, never trusted.
 */
export function mailboxRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');

  const message = async (idParam: string) => {
    const found = /^\d{1,12}$/.test(idParam) ? await findMailboxMessage(deps.db, Number(idParam)) : undefined;
    if (!found) throw new NotFoundError('There is no such message in the mailbox');
    return shownMessage(found, await isTestInvitationMail(deps.db, found.message_id));
  };

  const instants = async (locals: Record<string, unknown>) => pageInstants((await getSettings(deps.db)).reporting_time_zone, locals);

  /** When the worker sends its next email, in words (the page's language): "at 14:05 (in 12 minutes)", or "now". */
  const nextEmail = async (locals: Record<string, unknown>) => {
    const next = await nextScheduled(deps.db);
    if (!next) return null;
    const locale = localeOf(locals);
    const minutes = Math.ceil((Date.parse(next.at) - deps.clock.now().getTime()) / 60_000);
    const at = minutes <= 0 ? '' : formatInstant(next.at, await instants(locals));
    const when =
      minutes <= 0
        ? t(locale, 'mailbox.next_now')
        : minutes < 120
          ? t(locale, 'mailbox.next_minutes', { at, count: minutes })
          : t(locale, 'mailbox.next_hours', { at, count: Math.round(minutes / 60) });
    return { ...next, when };
  };

  router.get('/mailbox', admin, async (_req, res) => {
    const shown = await instants(res.locals);
    const messages = (await listMailboxMessages(deps.db, LIST_LIMIT)).map((m) => ({ ...m, at: formatInstant(m.created_at, shown) }));
    res.render('pages/mailbox/index', {
      title: t(localeOf(res.locals), 'mailbox.title'),
      nav: 'mailbox',
      messages,
      next: await nextEmail(res.locals),
      usesSmtp: deps.mail.kind === 'smtp',
      limit: LIST_LIMIT,
      // Looks for new messages every few seconds and shows them without a reload.
      scripts: ['/public/js/mailbox.js'],
    });
  });

  // What the page's script polls: the newest message's id.
  router.get('/mailbox/latest', admin, async (_req, res) => {
    const [newest] = await listMailboxMessages(deps.db, 1);
    res.set('Cache-Control', 'no-store');
    res.json({ newest: newest?.id ?? null });
  });

  router.get('/mailbox/:id', admin, async (req, res) => {
    const found = await message(req.params.id as string);
    const headers = Object.entries(found.headers).map(([name, value]) => ({ name, value }));
    res.render('pages/mailbox/show', {
      title: found.subject,
      nav: 'mailbox',
      message: { ...found, at: formatInstant(found.created_at, await instants(res.locals)) },
      headers,
    });
  });

  router.get('/mailbox/:id/html', admin, async (req, res) => {
    const found = await message(req.params.id as string);
    // An opaque origin without scripts, forms or plugins; the email's own inline styles and images still show,
    // and a link opens the real page in a new tab, outside the sandbox.
    res.set('Content-Security-Policy', "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'no-store');
    res.type('html').send(linksInNewTab(found.html ?? ''));
  });

  router.get('/mailbox/:id/text', admin, async (req, res) => {
    const found = await message(req.params.id as string);
    res.set('Cache-Control', 'no-store');
    res.type('text/plain; charset=utf-8').send(found.text ?? '');
  });

  return router;
}
