import { Router, type Request } from 'express';
import type { Deps } from '../deps.ts';
import { audit } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { authenticate, userTarget } from '../auth/service.ts';
import { formRaw, formText, localPath, typedText } from '../http/forms.ts';
import { createThrottle, type ThrottleHold } from '../auth/throttle.ts';
import { auditHold, setRetryAfter, signInThrottledMessage } from './throttle-pages.ts';
import { setupRoutes } from './setup-routes.ts';
import { localeOf, t } from '../i18n/index.ts';
import { accountRoutes } from './account-routes.ts';
import { passwordRoutes } from './password-routes.ts';
import { ENROLMENT_PATH, mustEnrol, twoFactorGate, twoFactorRoutes } from './two-factor-routes.ts';
import { hasSecondFactor } from '../auth/two-factor.ts';
import { endSession, startSecondFactorStep, startSession } from '../auth/session.ts';

const nextOf = (req: Request): string | undefined => {
  const wanted = (req.body as Record<string, unknown> | undefined)?.next ?? req.query.next;
  const path = localPath(wanted, '');
  return path || undefined;
};

/** Signing in and out, the first-run setup, one's own account, forgotten passwords and invitation links. */
export function authRoutes(deps: Deps): Router {
  const router = Router();
  // Failed sign-ins are counted in the database, per account, per address and per pair (see throttle.ts).
  const throttle = createThrottle(deps.db, deps.config.sessionSecret);

  // An admin who must use two-factor sign-in and has not set it up can do nothing else (before the
  // flash message below is taken: the enrolment page shows it).
  router.use(twoFactorGate(deps));

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
    const locale = localeOf(res.locals);
    res.render('pages/login', { title: t(locale, 'signin.title'), next: nextOf(req) });
  });

  router.post('/login', async (req, res) => {
    const email = formText(req.body, 'email');
    const password = formRaw(req.body, 'password');
    const now = deps.clock.now();
    const subject = { account: email || null, address: req.ip ?? null };
    const anonymous = requestActor(req, res);
    const locale = localeOf(res.locals);
    const refuse = (hold: ThrottleHold) =>
      setRetryAfter(res, hold).render('pages/login', { title: t(locale, 'signin.title'), signInError: signInThrottledMessage(locale, hold), email, next: nextOf(req) });

    // A held account or address is refused at once, before any password is looked at.
    const held = await throttle.check('sign_in', subject, now);
    if (held) {
      deps.log.info({ scope: held.scope, retryAfter: held.retryAfterSeconds }, 'sign-in refused: throttled');
      return refuse(held);
    }

    const user = email && password && password.length <= 200 ? await authenticate(deps.db, email, password, now) : null;
    if (!user) {
      if (email && password) {
        const hold = await throttle.hit('sign_in', subject, now);
        await audit(deps.db, { actor: anonymous, action: 'auth.sign_in_failed', target: { type: 'user', label: typedText(email) } }, now);
        if (hold) {
          deps.log.warn({ scope: hold.scope, retryAfter: hold.retryAfterSeconds }, 'sign-in throttled after failed attempts');
          await auditHold(deps, anonymous, hold, typedText(email), now);
          return refuse(hold);
        }
      }
      return res.status(401).render('pages/login', { title: t(locale, 'signin.title'), signInError: t(locale, 'signin.wrong'), email, next: nextOf(req) });
    }
    // The right password wipes this address's failures for this account (not the account's, nor the address's).
    await throttle.clear('sign_in', subject, ['account_address']);
    if (await hasSecondFactor(deps.db, user.id)) {
      // Not signed in until the code is right: the session only knows who is signing in, for a few minutes.
      await startSecondFactorStep(req, user, now, nextOf(req));
      deps.log.info({ userId: user.id }, 'password right; waiting for the second factor');
      return res.redirect(303, '/login/code');
    }
    await startSession(req, user, now);
    await audit(deps.db, { actor: { type: 'user', id: user.id, label: user.email, ip: req.ip ?? null }, action: 'auth.sign_in', target: userTarget(user) }, now);
    deps.log.info({ userId: user.id }, 'signed in');
    // An admin who must use a second factor goes to set it up first.
    if (await mustEnrol(deps, user)) return res.redirect(303, ENROLMENT_PATH);
    res.redirect(303, nextOf(req) ?? '/dashboard');
  });

  router.post('/logout', async (req, res) => {
    const user = res.locals.user as { id: number; email: string } | undefined;
    if (user) await audit(deps.db, { actor: requestActor(req, res), action: 'auth.sign_out', target: userTarget(user) }, deps.clock.now());
    await endSession(req, res);
    res.redirect(303, '/login');
  });

  router.use(setupRoutes(deps));
  router.use(accountRoutes(deps));
  router.use(passwordRoutes(deps, throttle));
  router.use(twoFactorRoutes(deps, throttle));
  return router;
}
