import { Router, type Request } from 'express';
import type { Deps } from '../deps.ts';
import { loginRateLimit } from '../http/session.ts';
import { authenticate } from './service.ts';
import { endSession, formRaw, formText, localPath, startSession } from './forms.ts';
import { setupRoutes } from './setup-routes.ts';
import { accountRoutes } from './account-routes.ts';
import { passwordRoutes } from './password-routes.ts';

const nextOf = (req: Request): string | undefined => {
  const wanted = (req.body as Record<string, unknown> | undefined)?.next ?? req.query.next;
  const path = localPath(wanted, '');
  return path || undefined;
};

/** Signing in and out, the first-run setup, one's own account, forgotten passwords and invitation links. */
export function authRoutes(deps: Deps): Router {
  const router = Router();
  // One limiter per app: it counts failed sign-ins across requests.
  const loginLimit = loginRateLimit();

  // A message left for this page by the previous one, shown once: on a page
  // load, not on the frames, scripts or images the page asks for afterwards.
  router.use((req, res, next) => {
    const dest = req.get('sec-fetch-dest');
    if (req.session?.flash && req.method === 'GET' && (!dest || dest === 'document')) {
      res.locals.flash = req.session.flash;
      delete req.session.flash;
    }
    next();
  });

  router.get('/', (_req, res) => {
    const to = res.locals.user ? '/dashboard' : '/login';
    // The body carries the layout (and its CSRF meta tag) for clients that do not follow redirects.
    res.status(303).location(to).render('partials/see-other', { title: 'Touchpoint', to });
  });

  router.get('/login', (req, res) => {
    if (res.locals.user) return res.redirect(303, nextOf(req) ?? '/dashboard');
    res.render('pages/login', { title: 'Sign in', next: nextOf(req) });
  });

  router.post('/login', loginLimit, async (req, res) => {
    const email = formText(req.body, 'email');
    const password = formRaw(req.body, 'password');
    const user = email && password && password.length <= 200 ? await authenticate(deps.db, email, password, deps.clock.now()) : null;
    if (!user) {
      return res.status(401).render('pages/login', { title: 'Sign in', error: 'The email or password is wrong.', email, next: nextOf(req) });
    }
    await startSession(req, user.id);
    deps.log.info({ userId: user.id }, 'signed in');
    res.redirect(303, nextOf(req) ?? '/dashboard');
  });

  router.post('/logout', async (req, res) => {
    await endSession(req, res);
    res.redirect(303, '/login');
  });

  router.use(setupRoutes(deps));
  router.use(accountRoutes(deps));
  router.use(passwordRoutes(deps));
  return router;
}
