import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { requireRole } from '../http/session.ts';
import { buildDashboard } from './service.ts';

/** GET /dashboard?from&to: scores, trends and comments per touchpoint (viewer and up). */
export function dashboardRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/dashboard', requireRole('viewer'), async (req, res) => {
    const dashboard = await buildDashboard(deps.db, { from: req.query.from, to: req.query.to }, deps.clock.now());
    res.render('pages/dashboard/index', {
      title: 'Dashboard',
      nav: 'dashboard',
      scripts: ['/vendor/chart.umd.js', '/public/js/charts.js'],
      ...dashboard,
    });
  });
  return router;
}
