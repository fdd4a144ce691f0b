import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { toDbTime } from '../db/time.ts';
import { audit } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { touchLogin } from '../auth/queries.ts';
import { deleteSessionsOfUser } from '../auth/token-queries.ts';
import { checkPasswordLink, DeadLinkError, setPasswordWithLink } from '../auth/links.ts';
import { requestPasswordReset } from './invite.ts';
import { accountLinksGoToLog, sendAccountMail } from './account-mail.ts';
import { fieldErrors, formRaw, formText, setFlash } from '../http/forms.ts';
import { hasSecondFactor } from '../auth/two-factor.ts';
import { PASSWORD_MIN_LENGTH } from '../auth/password-policy.ts';
import type { Throttle } from '../auth/throttle.ts';
import { auditHold, setRetryAfter, waitIn } from './throttle-pages.ts';
import { localeOf, pickLocale, t, type Locale } from '../i18n/index.ts';
import { startSecondFactorStep, startSession } from '../auth/session.ts';

const emailSchema = z.email('must be an email address').max(254);

const setTitle = (locale: Locale, purpose: string) => (purpose === 'invite' ? t(locale, 'password.set_invite_title') : t(locale, 'password.set_reset_title'));

/** The rules of a new password in one sentence, for the hint beside the field. */
export const passwordRulesIn = (locale: Locale) => t(locale, 'password.rules', { min: PASSWORD_MIN_LENGTH });

/** Why a link no longer works, in the page's language (DeadLinkError's reasons; another one as it is). */
function deadLinkReason(locale: Locale, message: string): string {
  switch (message) {
    case 'This link has been used already':
      return t(locale, 'password.gone_used');
    case 'This link has expired':
      return t(locale, 'password.gone_expired');
    case 'This account is deactivated':
      return t(locale, 'password.gone_deactivated');
    default:
      return message;
  }
}

/** The page that says a link no longer works (410). */
const gonePage = (locale: Locale, err: DeadLinkError) => ({
  title: t(locale, 'password.gone_title'),
  message: deadLinkReason(locale, err.message),
  invite: err.purpose === 'invite',
});

/**
 * For signed-out people: asking for a reset link (the answer never tells
 * whether the address has an account) and setting a password through an
 * invitation or reset link.
 */
export function passwordRoutes(deps: Deps, throttle: Throttle): Router {
  const router = Router();
  const token = (req: Request) => String(req.params.token ?? '');

  router.get('/password/forgot', (_req, res) => {
    const locale = localeOf(res.locals);
    res.render('pages/password/forgot', { title: t(locale, 'password.forgot_title'), toLog: accountLinksGoToLog(deps) });
  });

  router.post('/password/forgot', async (req, res) => {
    const locale = localeOf(res.locals);
    const email = formText(req.body, 'email');
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) {
      return res.status(422).render('pages/password/forgot', {
        title: t(locale, 'password.forgot_title'), toLog: accountLinksGoToLog(deps), email, errors: { email: t(locale, 'password.invalid_email') }, formError: t(locale, 'error.correct_fields'),
      });
    }
    const now = deps.clock.now();
    // Requests are counted per email (whether or not it has an account) and per address; a held one is refused at once.
    const subject = { account: parsed.data, address: req.ip ?? null };
    const held = await throttle.check('password_reset', subject, now);
    if (held) {
      return setRetryAfter(res, held).render('pages/password/forgot', {
        title: t(locale, 'password.forgot_title'), toLog: accountLinksGoToLog(deps), email, formError: t(locale, 'password.throttled', { wait: waitIn(locale, held.retryAfterSeconds) }),
      });
    }
    const actor = requestActor(req, res);
    const hold = await throttle.hit('password_reset', subject, now);
    if (hold) await auditHold(deps, actor, hold, parsed.data, now);
    await audit(deps.db, { actor, action: 'auth.password_reset_requested', target: { type: 'user', label: parsed.data } }, now);
    // The email goes out after the answer, so the time taken does not tell whether the account exists.
    const work = async () => {
      const issued = await requestPasswordReset(deps.db, parsed.data, now);
      if (!issued) return deps.log.info('password reset asked for an unknown or deactivated address, or too often');
      await sendAccountMail(deps, issued.user, issued.link, 'reset');
    };
    // Where links go depends on the server alone (SMTP_URL), never on the address: the page tells nothing about accounts.
    const toLog = accountLinksGoToLog(deps);
    res.render('pages/password/sent', { title: toLog ? t(locale, 'password.sent_log_title') : t(locale, 'password.sent_title'), email: parsed.data, toLog });
    work().catch((err) => deps.log.error({ err }, 'password reset email failed'));
  });

  router.get('/password/set/:token', async (req, res) => {
    const locale = localeOf(res.locals);
    try {
      const { link, user } = await checkPasswordLink(deps.db, token(req), deps.clock.now());
      res.render('pages/password/set', { title: setTitle(locale, link.purpose), purpose: link.purpose, invite: link.purpose === 'invite', email: user.email, token: token(req), rules: passwordRulesIn(locale) });
    } catch (err) {
      if (!(err instanceof DeadLinkError)) throw err;
      res.status(410).render('pages/password/gone', gonePage(locale, err));
    }
  });

  router.post('/password/set/:token', async (req, res) => {
    const locale = localeOf(res.locals);
    const now = deps.clock.now();
    let user;
    try {
      user = await setPasswordWithLink(deps.db, token(req), { password: formRaw(req.body, 'password'), confirm: formRaw(req.body, 'password_confirm') }, now, req.ip ?? null);
    } catch (err) {
      if (err instanceof DeadLinkError) {
        return res.status(410).render('pages/password/gone', gonePage(locale, err));
      }
      const failed = fieldErrors(err);
      const { link, user: owner } = await checkPasswordLink(deps.db, token(req), now);
      return res.status(failed.status).render('pages/password/set', {
        title: setTitle(locale, link.purpose), purpose: link.purpose, invite: link.purpose === 'invite', email: owner.email, token: token(req), rules: passwordRulesIn(locale), errors: failed.errors,
        formError: Object.keys(failed.errors).length ? t(locale, 'error.correct_fields') : failed.message,
      });
    }
    // Sessions signed in with the old password have ended (the epoch moved on; one reason to reset is
    // that someone else knows it); their rows go too.
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the other sessions'));
    await touchLogin(deps.db, user.id, toDbTime(now));
    // The next page is in the user's own language (the account page's choice).
    const userLocale = pickLocale(user.locale);
    if (await hasSecondFactor(deps.db, user.id)) {
      // A link proves the email, not the second factor: the code step still comes before signing in.
      setFlash(req, t(locale, 'password.set_then_code'));
      await startSecondFactorStep(req, user, now);
      deps.log.info({ userId: user.id }, 'password set through a link; waiting for the second factor');
      return res.redirect(303, '/login/code');
    }
    setFlash(req, t(userLocale, 'password.set_signed_in'));
    await startSession(req, user, now);
    deps.log.info({ userId: user.id }, 'password set through a link');
    res.redirect(303, '/dashboard');
  });

  return router;
}
