import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { formChecked, setFlash } from '../http/forms.ts';
import { getSettings } from '../settings/service.ts';
import { digestPreference, setDigestPreference } from './service.ts';
import { DIGEST_HOUR } from './schedule.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';
import { localeOf, t } from '../i18n/index.ts';

/** /digest: anyone signed in chooses whether to get the weekly digest by email. */
export function digestRoutes(deps: Deps): Router {
  const router = Router();
  const viewer = requireRole('viewer');

  router.get('/digest', viewer, async (_req, res) => {
    const user = res.locals.user as SignedInUser;
    const locale = localeOf(res.locals);
    const [preference, settings] = await Promise.all([digestPreference(deps.db, user.id), getSettings(deps.db)]);
    res.render('pages/digest/index', {
      title: t(locale, 'digest.page_title'),
      nav: 'digest',
      ...preference,
      timeZone: settings.reporting_time_zone,
      hour: `${String(DIGEST_HOUR).padStart(2, '0')}:00`,
      hint: t(locale, 'digest.page_hint', { email: user.email, language: user.locale === 'de' ? 'de' : 'en' }),
    });
  });

  router.post('/digest', viewer, async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const weekly = formChecked(req.body, 'weekly');
    await setDigestPreference(deps.db, user.id, weekly, deps.clock.now());
    deps.log.info({ userId: user.id, weekly }, 'weekly digest preference');
    const locale = localeOf(res.locals);
    setFlash(req, weekly ? t(locale, 'digest.page_on', { email: user.email }) : t(locale, 'digest.page_off'));
    res.redirect(303, '/digest');
  });

  return router;
}
