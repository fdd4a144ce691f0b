import { Router } from 'express';
import type { Deps } from './deps.ts';
import { dashboardRoutes } from './dashboards/routes.ts';
import { surveyAdminRoutes } from './survey-editor/routes.ts';
import { surveyPreviewRoutes } from './survey-editor/preview-routes.ts';
import { mailboxRoutes } from './mailbox/routes.ts';
import { userAdminRoutes } from './accounts/user-routes.ts';
import { apiKeyAdminRoutes } from './apikeys/routes.ts';
import { webhookPageRoutes } from './webhooks/page-routes.ts';
import { settingsRoutes } from './settings-page/routes.ts';
import { followUpRoutes } from './followups/routes.ts';
import { customerPageRoutes } from './customers/page-routes.ts';
import { deliveriesRoutes } from './delivery-log/routes.ts';
import { digestRoutes } from './digest/routes.ts';
import { auditRoutes } from './audit-log/routes.ts';
import { simulationPageRoutes } from './simulation/page-routes.ts';
import { firstRunRoutes } from './first-run/routes.ts';
import { fatigueRoutes } from './fatigue/routes.ts';

/** The signed-in pages; each router checks the role it needs on every route. */
export function adminRoutes(deps: Deps): Router {
  const pages = Router();
  // The first-run checklist, and its line on the dashboard (before the dashboard's own route).
  pages.use(firstRunRoutes(deps));
  pages.use(dashboardRoutes(deps));
  // Before the survey pages, so /surveys/preview is not read as a survey key.
  pages.use(surveyPreviewRoutes(deps));
  // /surveys/:key/simulate: the rules tried out on the last 90 days; before the survey pages too.
  pages.use(simulationPageRoutes(deps));
  pages.use(surveyAdminRoutes(deps));
  pages.use(mailboxRoutes(deps));
  pages.use(userAdminRoutes(deps));
  pages.use(apiKeyAdminRoutes(deps));
  pages.use(webhookPageRoutes(deps));
  pages.use(settingsRoutes(deps));
  pages.use(deliveriesRoutes(deps));
  pages.use(customerPageRoutes(deps));
  pages.use(followUpRoutes(deps));
  pages.use(fatigueRoutes(deps));
  pages.use(digestRoutes(deps));
  pages.use(auditRoutes(deps));
  return pages;
}
