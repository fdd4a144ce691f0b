import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { fieldErrors } from '../http/forms.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import { formatInstant, pageInstants, type InstantFormat } from '../dates.ts';
import { formFromRules, proposedFromForm, readSimulationForm, type SimulationForm } from './form.ts';
import { simulateRules, type SimulationReport, type Tally } from './service.ts';
import { requireRole } from '../auth/middleware.ts';

const reasonLabels: Record<string, string> = {
  no_active_survey: 'no active survey',
  too_old: 'event too old',
  invalid_contact: 'no usable email',
  erased: 'erased',
  unsubscribed: 'unsubscribed',
  bounced: 'bounced',
  sampled_out: 'sampled out',
  cooldown_global: 'global cooldown',
  cooldown_survey: 'survey cooldown',
  cap_window: 'cap',
};

const fieldLabels: Record<string, string> = {
  sample_rate: 'sample rate',
  send_delay_minutes: 'send delay',
  cooldown_after_invitation_days: "the survey's cooldown after an invitation",
  cooldown_after_response_days: "the survey's cooldown after a response",
  quiet_hours_mode: 'quiet hours',
  quiet_hours_start: 'quiet hours start',
  quiet_hours_end: 'quiet hours end',
  global_cooldown_after_invitation_days: 'the global cooldown after an invitation',
  global_cooldown_after_response_days: 'the global cooldown after a response',
  global_cap_count: 'the cap (invitations)',
  global_cap_window_days: 'the cap (window)',
};

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0');

/** The report as the page shows it: per touchpoint, actual beside simulated, per reason. */
function reportView(report: SimulationReport, shown: InstantFormat) {
  const reasons = report.reasons.filter((r) => r !== 'duplicate_event');
  const compare = (actual: Tally, simulated: Tally) => ({
    invitations: { actual: actual.invitations, simulated: simulated.invitations, change: signed(simulated.invitations - actual.invitations) },
    reasons: reasons
      .map((r) => ({ reason: r, label: reasonLabels[r] ?? r, actual: actual.suppressed[r] ?? 0, simulated: simulated.suppressed[r] ?? 0 }))
      .filter((r) => r.actual || r.simulated)
      .map((r) => ({ ...r, change: signed(r.simulated - r.actual) })),
  });
  return {
    from: formatInstant(report.from, shown),
    to: formatInstant(report.to, shown),
    days: report.days,
    events: report.events,
    customers: report.customers,
    changed: report.totals.changed,
    totals: compare(report.totals.actual, report.totals.simulated),
    rows: report.surveys.map((s) => ({ ...s, events: s.actual.events, ...compare(s.actual, s.simulated) })),
    examples: report.examples.map((e) => ({
      ...e,
      when: formatInstant(e.received_at, shown),
      detail: e.send_at ? `send at ${formatInstant(e.send_at, shown)}` : e.detail,
      href: `/customers/${encodeURIComponent(e.customer)}`,
    })),
  };
}

/** GET/POST /surveys/:key/simulate: what proposed rules would have done to the last 90 days of events. */
export function simulationPageRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  async function page(key: string) {
    const survey = await findSurveyByKey(deps.db, key);
    if (!survey) throw new NotFoundError(`No survey has the key ${key}`);
    const settings = await getSettings(deps.db);
    return { survey, settings, today: formFromRules(survey, settings.contact_rules) };
  }
  const view = (survey: { key: string; touchpoint_key: string; status: string }, values: SimulationForm, extra: Record<string, unknown>) => ({
    title: `Simulate rules · ${survey.key}`,
    nav: 'surveys',
    survey,
    values,
    action: `/surveys/${encodeURIComponent(survey.key)}/simulate`,
    quietOptions: [
      { value: 'global', label: 'Follow the global quiet hours', selected: values.quiet_hours_mode === 'global' },
      { value: 'own', label: 'Use the times below', selected: values.quiet_hours_mode === 'own' },
      { value: 'off', label: 'None: send at any hour', selected: values.quiet_hours_mode === 'off' },
    ],
    errors: {},
    ...extra,
  });

  router.get('/surveys/:key/simulate', editor, async (req, res) => {
    const { survey, today } = await page(req.params.key as string);
    res.render('pages/simulation/index', view(survey, today, {}));
  });

  router.post('/surveys/:key/simulate', editor, async (req, res) => {
    const { survey, settings, today } = await page(req.params.key as string);
    const values = readSimulationForm(req.body, today);
    let proposed;
    try {
      proposed = proposedFromForm(values, survey, settings.contact_rules);
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/simulation/index', view(survey, values, { errors: failed.errors, formError: failed.message }));
      return;
    }
    const report = await simulateRules(deps.db, survey.key, proposed, deps.clock.now());
    const changedFields = Object.keys(today)
      .filter((k) => today[k] !== values[k])
      .map((k) => ({ field: k, label: fieldLabels[k] ?? k, from: today[k] || 'off', to: values[k] || 'off' }));
    res.render('pages/simulation/index', view(survey, values, { report: reportView(report, pageInstants(settings.reporting_time_zone, res.locals)), changedFields, timeZone: settings.reporting_time_zone }));
  });

  return router;
}
