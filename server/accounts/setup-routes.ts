import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { loadDemo } from '../demo/seed.ts';
import { needsSetup } from '../auth/service.ts';
import { completeSetup, removeSetupCodeFile } from './setup.ts';
import { requestActor } from '../audit/actor.ts';
import { passwordRulesIn } from './password-routes.ts';
import { localeOf, pickLocale, t, type Locale } from '../i18n/index.ts';
import { timeZoneChoices } from '../settings/service.ts';
import { fieldErrors, formChecked, formRaw, formText, setFlash } from '../http/forms.ts';
import { countHit } from '../db/rate-counters.ts';
import { varDir } from '../config.ts';
import { MINUTE, HOUR } from '../clock.ts';
import { startSession } from '../auth/session.ts';

/** Tries of a setup code from one address: this many in a quarter of an hour, and in a day. */
export const SETUP_CODE_LIMITS = [
  { windowMs: 15 * MINUTE, max: 10 },
  { windowMs: 24 * HOUR, max: 30 },
];

/**
 * Counts one try of a setup code from `address` (in the database, so the limit holds across
 * processes; the same counters as withinLimits) and says how many seconds it must wait when a
 * limit is passed, or null.
 */
async function setupCodeWait(deps: Deps, address: string, now: Date): Promise<number | null> {
  let wait: number | null = null;
  for (const { windowMs, max } of SETUP_CODE_LIMITS) {
    if ((await countHit(deps.db, `setup-code:${address}:${windowMs}`, windowMs, now)) > max) {
      wait = Math.max(wait ?? 0, Math.ceil((windowMs - (now.getTime() % windowMs)) / 1000));
    }
  }
  return wait;
}

const inMinutes = (locale: Locale, seconds: number) => {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes < 120 ? t(locale, 'setup.wait', { unit: 'minute', count: minutes }) : t(locale, 'setup.wait', { unit: 'hour', count: Math.ceil(minutes / 60) });
};

/** First run: while no user exists, /setup creates the first admin; afterwards it is gone. */
export function setupRoutes(deps: Deps): Router {
  const router = Router();
  const zones = timeZoneChoices();
  const page = (locale: Locale, values: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    title: t(locale, 'setup.title'),
    values,
    askCode: deps.config.setupCodeRequired,
    passwordHint: passwordRulesIn(locale),
    zones: zones.map((zone) => ({ value: zone, label: zone, selected: zone === values.reporting_time_zone })),
    // Picks the browser's time zone while the choice is still the default (no inline scripts: a file).
    scripts: ['/public/js/setup.js'],
    ...extra,
  });

  router.use('/setup', async (_req, _res, next) => {
    if (!(await needsSetup(deps.db))) return next(new NotFoundError('Touchpoint is set up already; sign in instead'));
    next();
  });

  router.get('/setup', (_req, res) => {
    res.render('pages/setup', page(localeOf(res.locals), { reporting_time_zone: 'UTC', demo: false }));
  });

  router.post('/setup', async (req, res) => {
    const locale = localeOf(res.locals);
    const values = {
      email: formText(req.body, 'email'),
      name: formText(req.body, 'name'),
      password: formRaw(req.body, 'password'),
      password_confirm: formRaw(req.body, 'password_confirm'),
      reporting_time_zone: formText(req.body, 'reporting_time_zone') || 'UTC',
      company_name: formText(req.body, 'company_name'),
      setup_code: formText(req.body, 'setup_code'),
    };
    const demo = formChecked(req.body, 'demo');
    // What the page shows again: never the code or the passwords.
    const shown = { ...values, setup_code: '', demo };
    const now = deps.clock.now();
    const codeRequired = deps.config.setupCodeRequired;
    // Every try of a code counts against the address, right or wrong: past the limit even the right code waits.
    const wait = codeRequired && values.setup_code ? await setupCodeWait(deps, req.ip ?? '', now) : null;
    if (wait !== null) {
      deps.log.warn({ ip: req.ip }, 'setup code tried too often');
      res.set('Retry-After', String(wait));
      return res.status(429).render(
        'pages/setup',
        page(locale, shown, {
          errors: { setup_code: t(locale, 'setup.code_too_often', { wait: inMinutes(locale, wait) }) },
          formError: t(locale, 'setup.too_often', { wait: inMinutes(locale, wait) }),
        }),
      );
    }
    let admin;
    try {
      admin = await completeSetup(deps.db, values, now, { codeRequired, actor: requestActor(req, res), locale });
    } catch (err) {
      const failed = fieldErrors(err);
      if (failed.errors.setup_code && values.setup_code) deps.log.warn({ ip: req.ip }, 'wrong setup code');
      const formError = Object.keys(failed.errors).length ? t(locale, 'error.correct_fields') : failed.message;
      return res.status(failed.status).render('pages/setup', page(locale, shown, { errors: failed.errors, formError }));
    }
    removeSetupCodeFile(varDir(deps.config.databaseUrl));
    deps.log.info({ userId: admin.id }, 'first admin created');
    // The next page is in the new admin's own language.
    const adminLocale = pickLocale(admin.locale);
    if (demo) {
      try {
        const summary = await loadDemo(deps, adminLocale);
        setFlash(req, t(adminLocale, 'setup.welcome_demo', { summary: summary || t(adminLocale, 'setup.demo_loaded') }));
      } catch (err) {
        deps.log.warn({ err }, 'demo workspace failed to load');
        setFlash(req, t(adminLocale, 'setup.demo_failed', { error: (err as Error).message }));
      }
    } else {
      setFlash(req, t(adminLocale, 'setup.welcome'));
    }
    await startSession(req, admin, now);
    res.redirect(303, '/dashboard');
  });

  return router;
}
