import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import { auditCsv, auditCsvName, auditPage, refusedAuditPage } from './page.ts';
import { requireRole } from '../auth/middleware.ts';
import { localeOf, t } from '../i18n/index.ts';

/**
 * /audit: admins read the audit log, newest first, filtered by action, actor, target and dates;
 * /audit.csv: every line the same filters find (not only a page), streamed.
 */
export function auditRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get('/audit', admin, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const locale = localeOf(res.locals);
    try {
      const page = await auditPage(deps, req.query, res.locals);
      res.render('pages/audit/index', { title: t(locale, 'audit.title'), nav: 'audit', ...page });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      res.status(422).render('pages/audit/index', { title: t(locale, 'audit.title'), nav: 'audit', ...(await refusedAuditPage(deps, req.query, err, locale)) });
    }
  });

  router.get('/audit.csv', admin, async (req, res) => {
    // The filters are checked before the first byte: a bad one answers 422 naming it.
    const writeAll = await auditCsv(deps, req.query, res.locals);
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="${await auditCsvName(deps)}"`);
    res.set('Cache-Control', 'no-store');
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    // Waits while the client's side is full, or until it goes away.
    const drained = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    try {
      await writeAll(async (chunk) => {
        if (closed) throw new Error('the client went away');
        if (!res.write(chunk)) await drained();
      });
      res.end();
    } catch (err) {
      if (closed) return;
      // Headers and part of the file are out: the download breaks off rather than ending as if complete.
      deps.log.error({ err }, 'audit CSV export failed');
      res.destroy(err as Error);
    }
  });

  return router;
}
