import { Router } from 'express';
import type { Deps } from './deps.ts';
import { dashboardRoutes } from './dashboards/routes.ts';
import { surveyAdminRoutes } from './surveys/admin-routes.ts';
import { surveyPreviewRoutes } from './surveys/preview-routes.ts';
import { mailboxRoutes } from './mailbox/routes.ts';
import { userAdminRoutes } from './auth/user-routes.ts';
import { apiKeyAdminRoutes } from './apikeys/routes.ts';
import { settingsRoutes } from './settings/routes.ts';
import { followUpRoutes } from './followups/routes.ts';
import { customerPageRoutes } from './customers/page-routes.ts';
import { deliveriesRoutes } from './deliveries/routes.ts';
import { digestRoutes } from './digest/routes.ts';
import { auditRoutes } from './audit/routes.ts';

/** The signed-in pages; each router checks the role it needs on every route. */
export function adminRoutes(deps: Deps): Router {
  const pages = Router();
  pages.use(dashboardRoutes(deps));
  // Before the survey pages, so /surveys/preview is not read as a survey key.
  pages.use(surveyPreviewRoutes(deps));
  pages.use(surveyAdminRoutes(deps));
  pages.use(mailboxRoutes(deps));
  pages.use(userAdminRoutes(deps));
  pages.use(apiKeyAdminRoutes(deps));
  pages.use(settingsRoutes(deps));
  pages.use(deliveriesRoutes(deps));
  pages.use(customerPageRoutes(deps));
  pages.use(followUpRoutes(deps));
  pages.use(digestRoutes(deps));
  pages.use(auditRoutes(deps));
  return pages;
}
