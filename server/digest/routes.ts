import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { formChecked, setFlash } from '../http/forms.ts';
import { getSettings } from '../settings/service.ts';
import { digestPreference, setDigestPreference } from './service.ts';
import { DIGEST_HOUR } from './schedule.ts';
import { requireRole, type SignedInUser } from '../auth/middleware.ts';

/** /digest: anyone signed in chooses whether to get the weekly digest by email. */
export function digestRoutes(deps: Deps): Router {
  const router = Router();
  const viewer = requireRole('viewer');

  router.get('/digest', viewer, async (_req, res) => {
    const user = res.locals.user as SignedInUser;
    const [preference, settings] = await Promise.all([digestPreference(deps.db, user.id), getSettings(deps.db)]);
    res.render('pages/digest/index', {
      title: 'Weekly digest',
      nav: 'digest',
      ...preference,
      timeZone: settings.reporting_time_zone,
      hour: `${String(DIGEST_HOUR).padStart(2, '0')}:00`,
      hint: `Sent to ${user.email}, in ${user.locale === 'de' ? 'German' : 'English'} (your account's language).`,
    });
  });

  router.post('/digest', viewer, async (req, res) => {
    const user = res.locals.user as SignedInUser;
    const weekly = formChecked(req.body, 'weekly');
    await setDigestPreference(deps.db, user.id, weekly, deps.clock.now());
    deps.log.info({ userId: user.id, weekly }, 'weekly digest preference');
    setFlash(req, weekly ? `You will get the weekly digest on Mondays at ${user.email}.` : 'You will not get the weekly digest.');
    res.redirect(303, '/digest');
  });

  return router;
}
