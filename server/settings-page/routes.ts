import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { fieldErrors, setFlash } from '../http/forms.ts';
import { audit } from '../audit/record.ts';
import { requestActor } from '../audit/actor.ts';
import { writeTransaction } from '../db/dialect.ts';

import { getSettings, timeZoneChoices, updateSettings, type Settings } from '../settings/service.ts';
import { linkSigningSecret, replaceLinkSigningSecret } from '../settings/link-secret.ts';
import { formFieldOf, formFromSettings, readSettingsForm, settingsFromForm, type SettingsForm } from './form.ts';
import { requireRole } from '../auth/middleware.ts';
import { rebuildDailyRollup } from '../rollups/rebuild.ts';

/** /settings: admins set the reporting time zone, sender, branding and the global contact rules. */
export function settingsRoutes(deps: Deps): Router {
  const router = Router();
  const admin = requireRole('admin');
  const zones = timeZoneChoices();

  const page = async (values: SettingsForm, extra: Record<string, unknown> = {}, saved?: Settings) => {
    const tz = String(values.reporting_time_zone);
    const list = zones.includes(tz) || !tz ? zones : [tz, ...zones];
    return {
      title: 'Settings',
      nav: 'settings',
      values,
      linkSecret: await linkSigningSecret(deps.db),
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
    res.render('pages/settings/index', await page(formFromSettings(settings), {}, settings));
  });

  router.post('/settings', admin, async (req, res) => {
    const form = readSettingsForm(req.body);
    const before = await getSettings(deps.db);
    let saved;
    try {
      saved = await updateSettings(deps.db, settingsFromForm(form), { actor: requestActor(req, res), at: deps.clock.now() });
    } catch (err) {
      const failed = fieldErrors(err, formFieldOf);
      return res.status(failed.status).render('pages/settings/index', await page(form, { errors: failed.errors, formError: failed.message }, before));
    }
    if (saved.reporting_time_zone !== before.reporting_time_zone) {
      // Daily buckets are days in the reporting time zone: recount them in the new one.
      await rebuildDailyRollup(deps.db, saved.reporting_time_zone);
      deps.log.info({ from: before.reporting_time_zone, to: saved.reporting_time_zone }, 'reporting time zone changed; daily rollup rebuilt');
    }
    setFlash(req, 'Settings saved.');
    res.redirect(303, '/settings');
  });

  // A new secret for signed web links: links signed with the old one stop working.
  router.post('/settings/link-secret', admin, async (req, res) => {
    await writeTransaction(deps.db, async (trx) => {
      await replaceLinkSigningSecret(trx);
      // That it was replaced, never the secret.
      await audit(trx, { actor: requestActor(req, res), action: 'settings.link_secret_replaced', target: { type: 'settings', label: 'Link signing secret' } }, deps.clock.now());
    });
    deps.log.info({ userId: req.session.userId }, 'web link signing secret replaced');
    setFlash(req, 'A new link secret is in force. Links signed with the old one no longer work.');
    res.redirect(303, '/settings#signed-links');
  });

  return router;
}
