import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { readerLocale } from '../dates.ts';
import { parseInput } from '../validation.ts';
import { buildDashboard } from './service.ts';
import { dashboardQuerySchema } from './filters.ts';
import { buildTouchpointPage, pageReport, pageScope, surveyForDashboard, type TouchpointQuery } from './touchpoint.ts';
import { weightBySchema } from '../metrics/api-routes.ts';
import { seriesCsv, writeResponsesCsv } from './export.ts';
import { requireRole } from '../auth/middleware.ts';
import { localeOf, t } from '../i18n/index.ts';

const surveyKeySchema = z.object({ surveyKey: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'is not a survey key') });
const charts = ['/vendor/chart.umd.js', '/public/js/charts.js'];

const filtersOf = (req: Request) => parseInput(dashboardQuerySchema, req.query);
/** The touchpoint page's filters and `weight_by` (the properties to reweight by for non-response, as GET /api/v1/metrics takes them). */
const weightQuerySchema = z.object({ weight_by: weightBySchema });
const touchpointFiltersOf = (req: Request): TouchpointQuery => ({ ...filtersOf(req), ...parseInput(weightQuerySchema, req.query) });
const surveyKeyOf = (req: Request) => parseInput(surveyKeySchema, req.params).surveyKey;
const attachment = (name: string) => `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`;

/** The dashboards (viewer and up): the overview, one page per touchpoint survey, and its CSV exports. */
export function dashboardRoutes(deps: Deps): Router {
  const router = Router();

  router.get('/dashboard', requireRole('viewer'), async (req, res) => {
    const locale = localeOf(res.locals);
    const dashboard = await buildDashboard(deps.db, filtersOf(req), deps.clock.now(), readerLocale(res.locals), locale);
    res.render('pages/dashboard/index', { title: t(locale, 'dashboard.title'), nav: 'dashboard', scripts: charts, ...dashboard });
  });

  router.get('/dashboard/:surveyKey', requireRole('viewer'), async (req, res) => {
    const page = await buildTouchpointPage(deps.db, surveyKeyOf(req), touchpointFiltersOf(req), deps.clock.now(), readerLocale(res.locals), localeOf(res.locals));
    res.render('pages/dashboard/touchpoint', { nav: 'dashboard', scripts: charts, ...page });
  });

  router.get('/dashboard/:surveyKey/responses.csv', requireRole('viewer'), async (req, res) => {
    const survey = await surveyForDashboard(deps.db, surveyKeyOf(req));
    const scope = await pageScope(deps.db, filtersOf(req), deps.clock.now());
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', attachment(`${survey.key}-responses-${scope.range.from}-to-${scope.range.to}.csv`));
    await writeResponsesCsv(deps.db, survey, scope.period, scope.where, (chunk) => res.write(chunk));
    res.end();
  });

  router.get('/dashboard/:surveyKey/series.csv', requireRole('viewer'), async (req, res) => {
    const survey = await surveyForDashboard(deps.db, surveyKeyOf(req));
    const scope = await pageScope(deps.db, filtersOf(req), deps.clock.now());
    const { series } = await pageReport(deps.db, survey, scope);
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', attachment(`${survey.key}-${scope.interval}-${scope.range.from}-to-${scope.range.to}.csv`));
    res.send(seriesCsv(survey, series));
  });

  return router;
}
