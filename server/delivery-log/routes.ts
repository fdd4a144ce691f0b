import { Router, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { brandLocals } from '../http/brand.ts';
import { deliveryLog } from './list.ts';
import { deliveryDetail, deliveryEmail, parseId } from './detail.ts';
import { customerView, previewAnswer, previewForm, type PreviewPage } from './as-customer.ts';
import { audit } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t } from '../i18n/index.ts';

/** The email's HTML in an opaque origin without scripts, forms or plugins: rendered, never trusted. */
function sendSandboxedHtml(res: Response, html: string): void {
  res.set('Content-Security-Policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'");
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Cache-Control', 'no-store');
  res.type('html').send(html);
}

/** A preview of the customer's page: never cached, and stated as a preview wherever it is shown. */
function sendPreview(res: Response, preview: PreviewPage): void {
  res.set('Cache-Control', 'no-store');
  res.render(preview.view, preview.model);
}

/**
 * /deliveries: the delivery log for editors. Every invitation with its state,
 * attempts and errors; one invitation with its event, decision, link clicks,
 * response and its email rendered again from the stored invitation, with
 * inert links. "Open as the customer" (a POST, logged) shows the customer's
 * survey page as a preview that stores nothing.
 */
export function deliveriesRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  router.get('/deliveries', editor, async (req, res) => {
    const log = await deliveryLog(deps, req.query, res.locals);
    const locale = localeOf(res.locals);
    res.render('pages/deliveries/index', { title: t(locale, 'deliveries.title'), nav: 'deliveries', ...log });
  });

  router.get('/deliveries/:id', editor, async (req, res) => {
    const detail = await deliveryDetail(deps, parseId(req.params.id as string), res.locals);
    const locale = localeOf(res.locals);
    res.render('pages/deliveries/show', { title: t(locale, 'deliveries.page_title', { id: String(detail.invitation.id) }), nav: 'deliveries', ...detail });
  });

  router.get('/deliveries/:id/email/html', editor, async (req, res) => {
    sendSandboxedHtml(res, (await deliveryEmail(deps, parseId(req.params.id as string), false)).html);
  });

  router.get('/deliveries/:id/reminder/html', editor, async (req, res) => {
    sendSandboxedHtml(res, (await deliveryEmail(deps, parseId(req.params.id as string), true)).html);
  });

  // Explicit (a button, POST with CSRF) and logged: an editor looks at what the customer sees.
  router.post('/deliveries/:id/as-customer', editor, brandLocals(deps), async (req, res) => {
    const view = await customerView(deps, parseId(req.params.id as string));
    deps.log.info({ userId: (res.locals.user as SignedInUser).id, invitationId: view.invitationId }, `opened invitation ${view.invitationId} as the customer`);
    await audit(deps.db, { actor: requestActor(req, res), action: 'invitation.opened_as_customer', target: { type: 'invitation', id: view.invitationId } }, deps.clock.now());
    sendPreview(res, await previewForm(view, localeOf(res.locals)));
  });

  // The preview's form: the thanks page the customer would see; nothing is stored.
  router.post('/deliveries/:id/as-customer/answer', editor, brandLocals(deps), async (req, res) => {
    const view = await customerView(deps, parseId(req.params.id as string));
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    deps.log.info({ userId: (res.locals.user as SignedInUser).id, invitationId: view.invitationId }, `previewed an answer to invitation ${view.invitationId} as the customer (nothing stored)`);
    const preview = await previewAnswer(view, localeOf(res.locals), body, deps.clock.now());
    res.status(preview.model.part === 'survey' ? 422 : 200);
    sendPreview(res, preview);
  });

  return router;
}
