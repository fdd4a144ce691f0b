import { Router, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { requireRole } from '../http/session.ts';
import { deliveryDetail, deliveryEmail, deliveryLog, parseId } from './service.ts';

/** The email's HTML in an opaque origin without scripts, forms or plugins: rendered, never trusted. */
function sendSandboxedHtml(res: Response, html: string): void {
  res.set('Content-Security-Policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'");
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Cache-Control', 'no-store');
  res.type('html').send(html);
}

/**
 * /deliveries: the delivery log for editors. Every invitation with its state,
 * attempts and errors; one invitation with its event, decision, link clicks,
 * response and its email rendered again from the stored invitation.
 */
export function deliveriesRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  router.get('/deliveries', editor, async (req, res) => {
    const log = await deliveryLog(deps, req.query, res.locals);
    res.render('pages/deliveries/index', { title: 'Delivery log', nav: 'deliveries', ...log });
  });

  router.get('/deliveries/:id', editor, async (req, res) => {
    const detail = await deliveryDetail(deps, parseId(req.params.id as string), res.locals);
    res.render('pages/deliveries/show', { title: `Invitation ${detail.invitation.id}`, nav: 'deliveries', ...detail });
  });

  router.get('/deliveries/:id/email/html', editor, async (req, res) => {
    sendSandboxedHtml(res, (await deliveryEmail(deps, parseId(req.params.id as string), false)).html);
  });

  router.get('/deliveries/:id/reminder/html', editor, async (req, res) => {
    sendSandboxedHtml(res, (await deliveryEmail(deps, parseId(req.params.id as string), true)).html);
  });

  return router;
}
