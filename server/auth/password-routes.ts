import { Router, type Request } from 'express';
import { z } from 'zod';
import { rateLimit } from 'express-rate-limit';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { toDbTime } from '../db/time.ts';
import { touchLogin } from './queries.ts';
import { deleteSessionsOfUser } from './token-queries.ts';
import { checkPasswordLink, DeadLinkError, setPasswordWithLink } from './links.ts';
import { requestPasswordReset } from './invite.ts';
import { accountLinksGoToLog, sendAccountMail } from './account-mail.ts';
import { fieldErrors, formRaw, formText, setFlash, startSession } from './forms.ts';

const emailSchema = z.email('must be an email address').max(254);

/** Five reset requests per client address (IP) and quarter hour, counted in this app instance; invite.ts also limits emails per account. */
const forgotRateLimit = () =>
  rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 5,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError(429, 'rate-limited', 'Too many reset requests; wait a quarter of an hour and try again')),
  });

const setTitles = { invite: 'Choose your password', reset: 'Choose a new password' } as const;

/**
 * For signed-out people: asking for a reset link (the answer never tells
 * whether the address has an account) and setting a password through an
 * invitation or reset link.
 */
export function passwordRoutes(deps: Deps): Router {
  const router = Router();
  const forgotLimit = forgotRateLimit();
  const token = (req: Request) => String(req.params.token ?? '');

  router.get('/password/forgot', (_req, res) => {
    res.render('pages/password/forgot', { title: 'Forgot your password?', toLog: accountLinksGoToLog(deps) });
  });

  router.post('/password/forgot', forgotLimit, async (req, res) => {
    const email = formText(req.body, 'email');
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) {
      return res.status(422).render('pages/password/forgot', {
        title: 'Forgot your password?', toLog: accountLinksGoToLog(deps), email, errors: { email: 'must be an email address' }, formError: 'Please correct the fields marked below.',
      });
    }
    // The email goes out after the answer, so the time taken does not tell whether the account exists.
    const now = deps.clock.now();
    const work = async () => {
      const issued = await requestPasswordReset(deps.db, parsed.data, now);
      if (!issued) return deps.log.info('password reset asked for an unknown or deactivated address, or too often');
      await sendAccountMail(deps, issued.user, issued.link, 'reset');
    };
    // Where links go depends on the server alone (SMTP_URL), never on the address: the page tells nothing about accounts.
    const toLog = accountLinksGoToLog(deps);
    res.render('pages/password/sent', { title: toLog ? 'Ask the admin for your link' : 'Check your email', email: parsed.data, toLog });
    work().catch((err) => deps.log.error({ err }, 'password reset email failed'));
  });

  router.get('/password/set/:token', async (req, res) => {
    try {
      const { link, user } = await checkPasswordLink(deps.db, token(req), deps.clock.now());
      res.render('pages/password/set', { title: setTitles[link.purpose], purpose: link.purpose, invite: link.purpose === 'invite', email: user.email, token: token(req) });
    } catch (err) {
      if (!(err instanceof DeadLinkError)) throw err;
      res.status(410).render('pages/password/gone', { title: 'This link no longer works', message: err.message, invite: err.purpose === 'invite' });
    }
  });

  router.post('/password/set/:token', async (req, res) => {
    const now = deps.clock.now();
    let user;
    try {
      user = await setPasswordWithLink(deps.db, token(req), { password: formRaw(req.body, 'password'), confirm: formRaw(req.body, 'password_confirm') }, now);
    } catch (err) {
      if (err instanceof DeadLinkError) {
        return res.status(410).render('pages/password/gone', { title: 'This link no longer works', message: err.message, invite: err.purpose === 'invite' });
      }
      const failed = fieldErrors(err);
      const { link, user: owner } = await checkPasswordLink(deps.db, token(req), now);
      return res.status(failed.status).render('pages/password/set', {
        title: setTitles[link.purpose], purpose: link.purpose, invite: link.purpose === 'invite', email: owner.email, token: token(req), errors: failed.errors, formError: failed.message,
      });
    }
    // Sessions signed in with the old password end (one reason to reset is that someone else knows it).
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not end the other sessions'));
    await touchLogin(deps.db, user.id, toDbTime(now));
    setFlash(req, 'Your password is set. You are signed in.');
    await startSession(req, user.id);
    deps.log.info({ userId: user.id }, 'password set through a link');
    res.redirect(303, '/dashboard');
  });

  return router;
}
