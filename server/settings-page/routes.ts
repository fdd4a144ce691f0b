import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { fieldErrors, setFlash } from '../http/forms.ts';
import { audit } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { writeTransaction } from '../db/dialect.ts';

import { getSettings, timeZoneChoices, updateSettings, type Settings } from '../settings/service.ts';
import { signingSecret, replaceSigningSecret } from '../settings/signing-secrets.ts';
import { formFieldOf, formFromSettings, readSettingsForm, settingsFromForm, widgetOriginsFromForm, type SettingsForm } from './form.ts';
import { formRaw } from '../http/forms.ts';
import { requireRole } from '../auth/middleware.ts';
import { rebuildDailyRollup } from '../rollups/rebuild.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

/** /settings: admins set the reporting time zone, sender, branding and the global contact rules. */
export function settingsRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');
  const zones = timeZoneChoices();

  const page = async (locale: Locale, values: SettingsForm, extra: Record<string, unknown> = {}, saved?: Settings) => {
    const tz = String(values.reporting_time_zone);
    const list = zones.includes(tz) || !tz ? zones : [tz, ...zones];
    return {
      title: t(locale, 'settings.title'),
      nav: 'settings',
      values,
      linkSecret: await signingSecret(deps.db, 'link'),
      widgetSecret: await signingSecret(deps.db, 'widget'),
      widgetOrigins: (await getSettings(deps.db)).widget_origins.join('\n'),
      baseUrl: deps.config.baseUrl,
      logoPreview: saved?.logo_url ?? '',
      zones: list.map((zone) => ({ value: zone, label: zone, selected: zone === tz })),
      locales: [
        { value: 'en', label: 'English', selected: values.default_locale === 'en' },
        { value: 'de', label: 'Deutsch', selected: values.default_locale === 'de' },
      ],
      ...extra,
    };
  };

  router.get('/settings', admin, async (_req, res) => {
    const settings = await getSettings(deps.db);
    res.render('pages/settings/index', await page(localeOf(res.locals), formFromSettings(settings), {}, settings));
  });

  router.post('/settings', admin, async (req, res) => {
    const locale = localeOf(res.locals);
    const form = readSettingsForm(req.body);
    const before = await getSettings(deps.db);
    let saved;
    try {
      saved = await updateSettings(deps.db, settingsFromForm(form, locale), { actor: requestActor(req, res), at: deps.clock.now() });
    } catch (err) {
      const failed = fieldErrors(err, formFieldOf);
      return res.status(failed.status).render('pages/settings/index', await page(locale, form, { errors: failed.errors, formError: failed.message }, before));
    }
    if (saved.reporting_time_zone !== before.reporting_time_zone) {
      // Daily buckets are days in the reporting time zone: recount them in the new one.
      await rebuildDailyRollup(deps.db, saved.reporting_time_zone);
      deps.log.info({ from: before.reporting_time_zone, to: saved.reporting_time_zone }, 'reporting time zone changed; daily rollup rebuilt');
    }
    setFlash(req, t(locale, 'settings.flash_saved'));
    res.redirect(303, '/settings');
  });

  // A new secret for signed web links: links signed with the old one stop working.
  router.post('/settings/link-secret', admin, async (req, res) => {
    await writeTransaction(deps.db, async (trx) => {
      await replaceSigningSecret(trx, 'link');
      // That it was replaced, never the secret.
      await audit(trx, { actor: requestActor(req, res), action: 'settings.link_secret_replaced', target: { type: 'settings', label: 'Link signing secret' } }, deps.clock.now());
    });
    deps.log.info({ userId: req.session.userId }, 'web link signing secret replaced');
    setFlash(req, t(localeOf(res.locals), 'settings.flash_link_secret'));
    res.redirect(303, '/settings#signed-links');
  });

  // The sites allowed to show the widget, one origin a line.
  router.post('/settings/widget-origins', admin, async (req, res) => {
    const text = formRaw(req.body, 'widget_origins');
    try {
      await updateSettings(deps.db, { widget_origins: widgetOriginsFromForm(text) }, { actor: requestActor(req, res), at: deps.clock.now() });
    } catch (err) {
      const failed = fieldErrors(err);
      const settings = await getSettings(deps.db);
      return res.status(failed.status).render('pages/settings/index', await page(localeOf(res.locals), formFromSettings(settings), { widgetOrigins: text, widgetErrors: failed.errors, formError: failed.message }, settings));
    }
    setFlash(req, t(localeOf(res.locals), 'settings.flash_origins'));
    res.redirect(303, '/settings#widget');
  });

  // A new widget secret: snippets signed with the old one show nothing until the site signs with the new one.
  router.post('/settings/widget-secret', admin, async (req, res) => {
    await writeTransaction(deps.db, async (trx) => {
      await replaceSigningSecret(trx, 'widget');
      await audit(trx, { actor: requestActor(req, res), action: 'settings.widget_secret_replaced', target: { type: 'settings', label: 'Widget secret' } }, deps.clock.now());
    });
    setFlash(req, t(localeOf(res.locals), 'settings.flash_widget_secret'));
    res.redirect(303, '/settings#widget');
  });

  return router;
}
