import path from 'node:path';
import { createRequire } from 'node:module';
import express from 'express';
import helmet from 'helmet';
import type { Deps } from './deps.ts';
import { errorHandler, notFound } from './http/problem.ts';
import { refuseNul } from './http/refuse-nul.ts';
import { csrfProtection, saveSessionBeforeRedirect, sessions } from './http/session.ts';
import { useViews, viewsDir } from './http/views.ts';
import { authRoutes } from './accounts/sign-in-routes.ts';
import { apiRoutes } from './api.ts';
import { publicResponseRoutes } from './responses/routes.ts';
import { unsubscribeRoutes } from './customers/unsubscribe-routes.ts';
import { adminRoutes } from './admin.ts';
import { brandLocals, brandStylesheet } from './http/brand.ts';
import { currentUser, setupGate } from './auth/middleware.ts';
import { healthRoutes } from './health/routes.ts';
import { widgetRoutes } from './widget/routes.ts';

const publicDir = path.resolve(viewsDir, '../public');
// chart.js's UMD build, served by the app (no CDN); its package exports do not list the file.
const chartJsFile = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

/** Builds the Express app without listening: main.ts listens, tests use it in-process. */
export function createApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  useViews(app);
  // Templates are compiled once per process (Express only does it by itself under NODE_ENV=production).
  app.enable('view cache');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'https:'],
          formAction: ["'self'"],
          frameAncestors: ["'self'"],
          upgradeInsecureRequests: deps.config.secureCookies ? [] : null,
        },
      },
      strictTransportSecurity: deps.config.secureCookies,
    }),
  );
  app.use('/public', express.static(publicDir, { maxAge: '1h' }));
  app.get('/vendor/chart.umd.js', (_req, res) => res.sendFile(chartJsFile, { maxAge: '7d' }));
  app.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(path.join(publicDir, 'favicon.svg'), { maxAge: '7d' }));
  app.get('/brand.css', brandStylesheet(deps));
  // Probes and Prometheus (/healthz, /readyz, /metrics): no session, no CSRF.
  app.use(healthRoutes(deps));

  // The widget on the company's site: signed customers from the listed sites; no cookies, no CSRF.
  app.use(widgetRoutes(deps));

  // The JSON API: API keys, no cookies, no CSRF.
  app.use('/api/v1', apiRoutes(deps));

  // Customers' pages: the token in the link is the credential; no session, no CSRF.
  const form = express.urlencoded({ extended: false, limit: '64kb' });
  app.use(['/r', '/s', '/u'], brandLocals(deps));
  app.use(refuseNul, form, publicResponseRoutes(deps), unsubscribeRoutes(deps));

  // The app: signed-in people, sessions (stored only once there is something to keep), CSRF on every form.
  app.use(sessions(deps), saveSessionBeforeRedirect, csrfProtection(deps), currentUser(deps), setupGate(deps));
  app.use(authRoutes(deps));
  app.use(adminRoutes(deps));

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
