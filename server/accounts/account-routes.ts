import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parseInput } from '../validation.ts';
import { displayLocale, formatInstant, formatNumber } from '../dates.ts';
import { requestActor } from '../audit/actor.ts';
import { changePassword } from '../auth/service.ts';
import { updateUser, type UserRow } from '../auth/queries.ts';
import { deleteSessionsOfUser } from '../auth/token-queries.ts';
import { passwordRulesIn } from './password-routes.ts';
import { localeOf, t } from '../i18n/index.ts';
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
  const page = async (res: Response, extra: Record<string, unknown> = {}) => {
    const user = res.locals.user as SignedInUser;
    const locale = localeOf(res.locals);
    return {
      title: t(locale, 'account.title'),
      nav: 'account',
      languages: languageChoices(user.locale, deps.clock.now()),
      passwordRules: passwordRulesIn(locale),
      twoFactor: await twoFactorSummary(deps, user.id),
      ...extra,
    };
  };
  /** The summary above a form that failed: the fields to correct, else the refusal's own words. */
  const formMessage = (res: Response, failed: { errors: Record<string, string>; message: string }) => {
    const locale = localeOf(res.locals);
    return Object.keys(failed.errors).length ? t(locale, 'error.correct_fields') : failed.message;
  };

  router.get('/account', requireRole('viewer'), async (_req, res) => {
    res.render('pages/account', await page(res));
  });

  router.post('/account/language', requireRole('viewer'), async (req, res) => {
    const user = res.locals.user as SignedInUser;
    try {
      const { locale } = parseInput(languageSchema, { locale: formText(req.body, 'locale') });
      await updateUser(deps.db, user.id, { locale });
      deps.log.info({ userId: user.id, locale }, 'language changed');
      // In the language just chosen: the next page is in it.
      setFlash(req, t(locale, 'account.language_saved', { language: languageNames[locale] }));
      res.redirect(303, '/account');
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/account', await page(res, { languageErrors: failed.errors, languageError: formMessage(res, failed) }));
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
      return res.status(failed.status).render('pages/account', await page(res, { errors: failed.errors, formError: formMessage(res, failed) }));
    }
    deps.log.info({ userId: user.id }, 'password changed');
    // Every other session of the user has ended (the epoch moved on); their rows go too. This one
    // goes on under a new id: a session stolen before the change does not carry over.
    await deleteSessionsOfUser(deps.db, user.id).catch((err) => deps.log.warn({ err, userId: user.id }, 'could not delete the other sessions'));
    const locale = localeOf(res.locals);
    setFlash(req, t(locale, 'account.password_changed'));
    await startSession(req, changed, now);
    res.redirect(303, '/account');
  });
  return router;
}
