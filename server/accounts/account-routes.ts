import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parseInput } from '../validation.ts';
import { displayLocale, formatInstant, formatNumber } from '../dates.ts';
import { requestActor } from '../audit/actor.ts';
import { changePassword } from '../auth/service.ts';
import { updateUser, type UserRow } from '../auth/queries.ts';
import { deleteSessionsOfUser } from '../auth/token-queries.ts';
import { passwordRules } from '../auth/password-policy.ts';
import { fieldErrors, formRaw, formText, setFlash } from '../http/forms.ts';
import { twoFactorSummary } from './two-factor-routes.ts';
import { startSession } from '../auth/session.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';

const languageNames = { en: 'English', de: 'Deutsch' } as const;
const languageSchema = z.object({ locale: z.enum(['en', 'de'], 'must be English or Deutsch') });

/** The language choices, each with a sample of how dates and numbers then look. */
function languageChoices(current: string, now: Date) {
  return (Object.keys(languageNames) as (keyof typeof languageNames)[]).map((value) => ({
    value,
    label: `${languageNames[value]} (${formatInstant(now, { timeZone: 'UTC', locale: value, style: 'date' })}, ${formatNumber(1234.5, value)})`,
    selected: value === displayLocale(current),
  }));
}

/**
 * /account: every signed-in person changes their own password and the language of dates and numbers, and
 * turns two-factor sign-in on or off (two-factor-routes.ts).
 */
export function accountRoutes(deps: Deps): Router {
  const router = Router();
  const page = async (user: SignedInUser, extra: Record<string, unknown> = {}) => ({
    title: 'Your account',
    nav: 'account',
    languages: languageChoices(user.locale, deps.clock.now()),
    passwordRules,
    twoFactor: await twoFactorSummary(deps, user.id),
    ...extra,
  });

  router.get('/account', requireRole('viewer'), async (_req, res) => {
    res.render('pages/account', await page(res.locals.user as SignedInUser));
  });

  router.post('/account/language', requireRole('viewer'), async (req, res) => {
    const user = res.locals.user as SignedInUser;
    try {
      const { locale } = parseInput(languageSchema, { locale: formText(req.body, 'locale') });
      await updateUser(deps.db, user.id, { locale });
      deps.log.info({ userId: user.id, locale }, 'language changed');
      setFlash(req, `Dates and numbers are now shown in ${languageNames[locale]}.`);
      res.redirect(303, '/account');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/account', await page(user, { languageErrors: failed.errors, languageError: failed.message }));
    }
  });

  router.post('/account/password', requireRole('viewer'), async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const now = deps.clock.now();
    let changed: UserRow;
    try {
      changed = await changePassword(
        deps.db,
        user.id,
        { current: formRaw(req.body, 'current_password'), password: formRaw(req.body, 'password'), confirm: formRaw(req.body, 'password_confirm') },
        now,
        requestActor(req, res),
      );
    } catch (err) {
      const failed = fieldErrors(err);
      return res.status(failed.status).render('pages/account', await page(user, { errors: failed.errors, formError: failed.message }));
    }
    deps.log.info({ userId: user.id }, 'password changed');
    // Every other session of the user has ended (the epoch moved on); their rows go too. This one
    // goes on under a new id: a session stolen before the change does not carry over.
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the other sessions'));
    setFlash(req, 'Your password is changed. Your other sessions are signed out.');
    await startSession(req, changed, now);
    res.redirect(303, '/account');
  });
  return router;
}
