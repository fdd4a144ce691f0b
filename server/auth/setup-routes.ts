import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { loadDemo } from '../demo/seed.ts';
import { needsSetup } from './service.ts';
import { completeSetup } from './setup.ts';
import { timeZoneChoices } from '../settings/service.ts';
import { fieldErrors, formChecked, formRaw, formText, setFlash, startSession } from './forms.ts';

/** First run: while no user exists, /setup creates the first admin; afterwards it is gone. */
export function setupRoutes(deps: Deps): Router {
  const router = Router();
  const zones = timeZoneChoices();
  const page = (values: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    title: 'Set up Touchpoint',
    values,
    zones: zones.map((zone) => ({ value: zone, label: zone, selected: zone === values.reporting_time_zone })),
    ...extra,
  });

  router.use('/setup', async (_req, _res, next) => {
    if (!(await needsSetup(deps.db))) return next(new NotFoundError('Touchpoint is set up already; sign in instead'));
    next();
  });

  router.get('/setup', (_req, res) => {
    res.render('pages/setup', page({ reporting_time_zone: 'UTC', demo: false }));
  });

  router.post('/setup', async (req, res) => {
    const values = {
      email: formText(req.body, 'email'),
      name: formText(req.body, 'name'),
      password: formRaw(req.body, 'password'),
      password_confirm: formRaw(req.body, 'password_confirm'),
      reporting_time_zone: formText(req.body, 'reporting_time_zone') || 'UTC',
    };
    const demo = formChecked(req.body, 'demo');
    let admin;
    try {
      admin = await completeSetup(deps.db, values, deps.clock.now());
    } catch (err) {
      const failed = fieldErrors(err);
      return res.status(failed.status).render('pages/setup', page({ ...values, demo }, { errors: failed.errors, formError: failed.message }));
    }
    deps.log.info({ userId: admin.id }, 'first admin created');
    if (demo) {
      try {
        const summary = await loadDemo(deps);
        setFlash(req, `Welcome. ${summary || 'The demo workspace is loaded.'}`);
      } catch (err) {
        deps.log.warn({ err }, 'demo workspace failed to load');
        setFlash(req, `Your account is ready, but the demo workspace could not be loaded: ${(err as Error).message}`);
      }
    } else {
      setFlash(req, 'Welcome. Your account is ready.');
    }
    await startSession(req, admin.id);
    res.redirect(303, '/dashboard');
  });

  return router;
}
