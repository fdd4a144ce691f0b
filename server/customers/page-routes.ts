import { readerLocale } from '../dates.ts';
import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { clearBounce } from './commands.ts';
import { customerPage, findCustomers } from './page-model.ts';
import { requestActor } from '../audit/actor.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t } from '../i18n/index.ts';

/** /customers: CX managers (editors) find a customer and read why they got, or did not get, a survey. */
export function customerPageRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  router.get('/customers', editor, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const locale = localeOf(res.locals);
    const found = await findCustomers(deps.db, q, deps.clock.now(), readerLocale(res.locals));
    res.render('pages/customers/index', { title: t(locale, 'customers.title'), nav: 'customers', q, searched: q.trim() !== '', ...found });
  });

  router.get('/customers/:id', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const page = await customerPage(deps.db, req.params.id as string, deps.clock.now(), readerLocale(res.locals), locale);
    res.render('pages/customers/show', {
      title: t(locale, 'customers.page_title', { id: page.customer.id }),
      nav: 'customers',
      ...(req.query.cleared === '1' ? { flash: t(locale, 'customers.bounce_cleared') } : {}),
      ...page,
    });
  });

  // The address works again (the customer fixed their mailbox): forget the hard bounce.
  router.post('/customers/:id/clear-bounce', editor, async (req, res) => {
    const user = res.locals.user as SignedInUser;
    await clearBounce(deps, req.params.id as string, { userId: user.id, label: user.email, audit: requestActor(req, res) });
    res.redirect(303, `/customers/${encodeURIComponent(req.params.id as string)}?cleared=1`);
  });

  return router;
}
