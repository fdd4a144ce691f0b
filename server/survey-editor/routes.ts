import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { AppError, NotFoundError } from '../errors.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { fieldErrors, setFlash } from '../http/forms.ts';
import { locales } from '../i18n/index.ts';
import { metrics, surveyStatuses, type Metric, type Survey } from '../surveys/model.ts';
import { findSurveyByKey, listSurveys, listTouchpoints } from '../surveys/queries.ts';
import { createSurvey, updateSurvey } from '../surveys/service.ts';
import { surveyPatchSchema } from '../surveys/schemas.ts';
import { assertEditable } from '../surveys/api-routes.ts';
import { exportSurveyFile, surveyFileErrors } from '../surveys/files.ts';
import { requestActor } from '../audit/actor.ts';
import { formFieldOf, formFromSurvey, formFromTemplate, inputFromForm, readSurveyForm, rulesKeptFromSurvey, wordingFields, type SurveyForm } from './form.ts';
import { requireRole } from '../auth/middleware.ts';

const metricNames: Record<Metric, string> = { nps: 'NPS (0–10)', csat: 'CSAT (1–5)', ces: 'CES (1–7)' };
const localeNames: Record<string, string> = { en: 'English', de: 'Deutsch' };
const wordingLabels: Record<(typeof wordingFields)[number], { label: string; hint?: string }> = {
  question: { label: 'Question', hint: 'Leave it blank to offer no survey in this language.' },
  low_label: { label: 'Label at the low end of the scale' },
  high_label: { label: 'Label at the high end of the scale' },
  comment_prompt: { label: 'Comment prompt', hint: 'Asked after the score.' },
  thank_you: { label: 'Thank-you message' },
};
const options = (values: readonly string[], selected: string, label: (v: string) => string = (v) => v) =>
  values.map((value) => ({ value, label: label(value), selected: value === selected }));

/** The survey form's view model: values as typed, errors beside their fields. */
async function formPage(deps: Deps, values: SurveyForm, extra: { survey?: Survey; errors?: Record<string, string>; formError?: string } = {}) {
  const errors = extra.errors ?? {};
  const survey = extra.survey;
  return {
    title: survey ? `Survey ${survey.key}` : 'New survey',
    nav: 'surveys',
    values,
    errors,
    formError: extra.formError,
    survey,
    readOnly: survey?.source === 'file',
    webLinkOpen: survey ? survey.channel === 'link' || survey.public_link : false,
    action: survey ? `/surveys/${encodeURIComponent(survey.key)}` : '/surveys',
    touchpoints: await listTouchpoints(deps.db),
    metricOptions: options(metrics, values.metric, (m) => metricNames[m as Metric]),
    templateLinks: metrics.map((m) => ({ metric: m, label: metricNames[m], current: m === values.metric })),
    statusOptions: options(surveyStatuses, values.status),
    channelOptions: [
      { value: 'email', label: 'Email: each event can send an invitation', selected: !['web', 'email_or_web', 'link'].includes(String(values.channel)) },
      { value: 'web', label: 'Website: shown by the widget on your site (Settings)', selected: values.channel === 'web' },
      { value: 'email_or_web', label: 'Website, else email: the widget if the customer visits within the web window, else an email', selected: values.channel === 'email_or_web' },
      { value: 'link', label: 'Web link only: events send no email', selected: values.channel === 'link' },
    ],
    publicLinkOptions: [
      { value: 'off', label: 'Off: only the people the survey emails can answer', selected: values.public_link !== 'on' },
      { value: 'on', label: 'On: anyone with the web link can answer', selected: values.public_link === 'on' },
    ],
    countAnonymousOptions: [
      { value: 'on', label: 'Count them in the scores (shown as their own source too)', selected: values.count_anonymous !== 'off' },
      { value: 'off', label: 'Leave them out of the scores unless a filter asks for them', selected: values.count_anonymous === 'off' },
    ],
    localeOptions: options(locales, values.default_locale, (l) => localeNames[l] ?? l),
    quietOptions: [
      { value: 'global', label: 'Follow the global quiet hours', selected: values.quiet_hours_mode === 'global' },
      { value: 'own', label: 'Use the times below', selected: values.quiet_hours_mode === 'own' },
      { value: 'off', label: 'None: send at any hour', selected: values.quiet_hours_mode === 'off' },
    ],
    wordings: locales.map((locale) => ({
      locale,
      name: localeNames[locale] ?? locale,
      fields: wordingFields.map((f) => ({
        name: `${f}_${locale}`,
        label: wordingLabels[f].label,
        hint: wordingLabels[f].hint,
        value: values[`${f}_${locale}`],
        error: errors[`${f}_${locale}`],
      })),
    })),
  };
}

async function surveyOr404(deps: Deps, key: string): Promise<Survey> {
  const survey = await findSurveyByKey(deps.db, key);
  if (!survey) throw new NotFoundError(`No survey has the key ${key}`);
  return survey;
}

const surveyPath = (key: string) => `/surveys/${encodeURIComponent(key)}`;

/** /surveys: CX managers (editors) list, create, edit, activate, pause and archive surveys. */
export function surveyAdminRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  router.get('/surveys', editor, async (_req, res) => {
    const surveys = await listSurveys(deps.db);
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const groups = new Map<string, { key: string; name: string; surveys: Survey[] }>();
    for (const tp of await listTouchpoints(deps.db)) groups.set(tp.key, { key: tp.key, name: tp.name, surveys: [] });
    for (const s of surveys) groups.get(s.touchpoint_key)?.surveys.push({ ...s, changed: formatInstant(s.updated_at, shown) } as Survey);
    res.render('pages/surveys/index', {
      title: 'Surveys',
      nav: 'surveys',
      touchpoints: [...groups.values()],
      fileErrors: surveyFileErrors(),
      baseUrl: deps.config.baseUrl,
    });
  });

  router.get('/surveys/new', editor, async (req, res) => {
    const metric = (metrics as readonly string[]).includes(String(req.query.metric)) ? (req.query.metric as Metric) : 'nps';
    res.render('pages/surveys/form', await formPage(deps, formFromTemplate(metric)));
  });

  router.post('/surveys', editor, async (req, res) => {
    const values = readSurveyForm(req.body);
    try {
      const survey = await createSurvey(deps.db, inputFromForm(values), deps.clock.now(), 'ui', null, requestActor(req, res));
      setFlash(req, `Survey ${survey.key} created.`);
      res.redirect(303, surveyPath(survey.key));
    } catch (err) {
      const failed = fieldErrors(err, (f) => formFieldOf(f, values.default_locale));
      res.status(failed.status).render('pages/surveys/form', await formPage(deps, values, { errors: failed.errors, formError: failed.message }));
    }
  });

  router.get('/surveys/:key', editor, async (req, res) => {
    const survey = await surveyOr404(deps, req.params.key as string);
    res.render('pages/surveys/form', await formPage(deps, formFromSurvey(survey), { survey }));
  });

  router.post('/surveys/:key', editor, async (req, res) => {
    const survey = await surveyOr404(deps, req.params.key as string);
    assertEditable(survey);
    // Key, touchpoint and metric stay: answers already counted depend on them.
    const values: SurveyForm = { ...readSurveyForm(req.body), key: survey.key, touchpoint: survey.touchpoint_key, metric: survey.metric };
    try {
      const { key: _k, touchpoint: _t, metric: _m, ...patch } = inputFromForm(values, surveyPatchSchema);
      patch.rules = { ...rulesKeptFromSurvey(survey.rules), ...patch.rules };
      await updateSurvey(deps.db, survey.key, patch, deps.clock.now(), { replaceRules: true, actor: requestActor(req, res) });
      setFlash(req, `Survey ${survey.key} saved.`);
      res.redirect(303, surveyPath(survey.key));
    } catch (err) {
      const failed = fieldErrors(err, (f) => formFieldOf(f, values.default_locale));
      res.status(failed.status).render('pages/surveys/form', await formPage(deps, values, { survey, errors: failed.errors, formError: failed.message }));
    }
  });

  const statusAction = (status: Survey['status'], done: string) => async (req: Request, res: Response) => {
    const survey = await surveyOr404(deps, req.params.key as string);
    assertEditable(survey);
    try {
      await updateSurvey(deps.db, survey.key, { status }, deps.clock.now(), { actor: requestActor(req, res) });
      setFlash(req, `Survey ${survey.key} ${done}.`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      setFlash(req, `Survey ${survey.key} was not ${done}: ${err.message}`);
    }
    res.redirect(303, surveyPath(survey.key));
  };
  router.post('/surveys/:key/activate', editor, statusAction('active', 'activated'));
  router.post('/surveys/:key/pause', editor, statusAction('paused', 'paused'));
  router.post('/surveys/:key/archive', editor, statusAction('archived', 'archived'));

  router.post('/surveys/:key/export', editor, async (req, res) => {
    const survey = await surveyOr404(deps, req.params.key as string);
    const file = await exportSurveyFile(deps, survey.key);
    setFlash(req, `Survey ${survey.key} written to ${file}; from now on the file manages it.`);
    res.redirect(303, surveyPath(survey.key));
  });

  return router;
}
