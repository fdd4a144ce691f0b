import { detailIn } from '../eligibility/detail-words.ts';
import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { NotFoundError } from '../errors.ts';
import { fieldErrors } from '../http/forms.ts';
import { getSettings } from '../settings/service.ts';
import { findSurveyByKey } from '../surveys/queries.ts';
import type { Metric } from '../surveys/model.ts';
import { formatInstant, pageInstants, type InstantFormat } from '../dates.ts';
import { formFromRules, proposedFromForm, readSimulationForm, type SimulationForm } from './form.ts';
import { simulateRules, type SimulationReport, type Tally } from './service.ts';
import { requireRole } from '../auth/middleware.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';
import { periodOptions, quietOptions } from '../survey-editor/form-page.ts';
import { marginWords, periodName } from '../survey-editor/precision-page.ts';
import { formatNumber } from '../dates.ts';

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0');

/** An example's decision ("scheduled", "suppressed: cooldown_survey") in the page's language; the reason stays a code, as in the delivery log. */
function outcome(locale: Locale, decision: string): string {
  if (decision === 'scheduled') return t(locale, 'simulation.scheduled');
  const suppressed = /^suppressed: (.*)$/.exec(decision);
  return suppressed ? t(locale, 'simulation.suppressed', { reason: suppressed[1] }) : decision;
}

/** The report as the page shows it: per touchpoint, actual beside simulated, per reason. */
function reportView(locale: Locale, report: SimulationReport, shown: InstantFormat, metric: Metric) {
  const reasons = report.reasons.filter((r) => r !== 'duplicate_event');
  const compare = (actual: Tally, simulated: Tally) => ({
    invitations: { actual: actual.invitations, simulated: simulated.invitations, change: signed(simulated.invitations - actual.invitations) },
    reasons: reasons
      .map((r) => ({ reason: r, label: t(locale, 'simulation.reason', { reason: r }), actual: actual.suppressed[r] ?? 0, simulated: simulated.suppressed[r] ?? 0 }))
      .filter((r) => r.actual || r.simulated)
      .map((r) => ({ ...r, change: signed(r.simulated - r.actual) })),
  });
  const precision = report.precision;
  const percent = (rate: number | null) => (rate === null ? '–' : `${formatNumber(rate, locale)} %`);
  return {
    precision: precision && {
      spared: t(locale, 'precision.sim_spared', { invitations: precision.spared.invitations, customers: precision.spared.customers }),
      segmented: Boolean(precision.target.segment),
      rows: precision.periods.map((p) => ({
        period: periodName(locale, precision.target.period, p.start),
        segment: p.segment === '' ? t(locale, 'precision.whole') : p.segment,
        invitations: `${formatNumber(p.actualInvitations, locale)} → ${formatNumber(p.simulatedInvitations, locale)}`,
        expected: formatNumber(p.expectedResponses, locale, { maximumFractionDigits: 0 }),
        margin: marginWords(locale, metric, p.expectedMargin),
        met: p.met,
        rates: `${percent(p.firstRate)} → ${percent(p.lastRate)}`,
      })),
    },
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
      actual: outcome(locale, e.actual),
      simulated: outcome(locale, e.simulated),
      detail: e.send_at ? t(locale, 'simulation.send_at', { when: formatInstant(e.send_at, shown) }) : detailIn(locale, e.detail),
      href: `/customers/${encodeURIComponent(e.customer)}`,
    })),
  };
}

/** GET/POST /surveys/:key/simulate: what proposed rules would have done to the last 90 days of events. */
export function simulationPageRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  async function page(key: string, locale: Locale) {
    const survey = await findSurveyByKey(deps.db, key);
    if (!survey) throw new NotFoundError(t(locale, 'surveys.not_found', { key }));
    const settings = await getSettings(deps.db);
    return { survey, settings, today: formFromRules(survey, settings.contact_rules) };
  }
  const view = (locale: Locale, survey: { key: string; touchpoint_key: string; status: string }, values: SimulationForm, extra: Record<string, unknown>) => ({
    title: t(locale, 'simulation.title', { key: survey.key }),
    nav: 'surveys',
    survey,
    values,
    action: `/surveys/${encodeURIComponent(survey.key)}/simulate`,
    quietOptions: quietOptions(locale, values.quiet_hours_mode),
    periodOptions: periodOptions(locale, values.precision_period),
    errors: {},
    ...extra,
  });

  router.get('/surveys/:key/simulate', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const { survey, today } = await page(req.params.key as string, locale);
    // A link may prefill the form with the same fields the form posts (the fatigue page's advice does).
    res.render('pages/simulation/index', view(locale, survey, readSimulationForm(req.query, today), {}));
  });

  router.post('/surveys/:key/simulate', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const { survey, settings, today } = await page(req.params.key as string, locale);
    const values = readSimulationForm(req.body, today);
    let proposed;
    try {
      proposed = proposedFromForm(values, survey, settings.contact_rules, locale);
    } catch (err) {
      const failed = fieldErrors(err);
      res.status(failed.status).render('pages/simulation/index', view(locale, survey, values, { errors: failed.errors, formError: Object.keys(failed.errors).length ? t(locale, 'surveys.fix_fields') : failed.message }));
      return;
    }
    const report = await simulateRules(deps.db, survey.key, proposed, deps.clock.now());
    const changedFields = Object.keys(today)
      .filter((k) => today[k] !== values[k])
      .map((k) => ({ field: k, label: t(locale, 'simulation.field', { field: k }), from: today[k] || t(locale, 'simulation.off'), to: values[k] || t(locale, 'simulation.off') }));
    res.render('pages/simulation/index', view(locale, survey, values, { report: reportView(locale, report, pageInstants(settings.reporting_time_zone, res.locals), survey.metric), changedFields, timeZone: settings.reporting_time_zone }));
  });

  return router;
}
