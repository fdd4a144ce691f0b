import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.ts';
import { AppError, NotFoundError } from '../errors.ts';
import { formatInstant, pageInstants } from '../dates.ts';
import { getSettings } from '../settings/service.ts';
import { setFlash } from '../http/forms.ts';
import { metrics, type Metric, type Survey } from '../surveys/model.ts';
import { findSurveyByKey, listSurveys, listTouchpoints } from '../surveys/queries.ts';
import { createSurvey, updateSurvey } from '../surveys/service.ts';
import { surveyPatchSchema } from '../surveys/schemas.ts';
import { assertEditable } from '../surveys/api-routes.ts';
import { exportSurveyFile, surveyFileErrors } from '../surveys/files.ts';
import { requestActor } from '../audit/actor.ts';
import { formFromSurvey, formFromTemplate, inputFromForm, readSurveyForm, rulesKeptFromSurvey, type SurveyForm } from './form.ts';
import { requireRole } from '../auth/middleware.ts';
import { formErrors, formPage } from './form-page.ts';
import { localeOf, t, type Locale } from '../i18n/index.ts';

async function surveyOr404(deps: Deps, key: string, locale: Locale): Promise<Survey> {
  const survey = await findSurveyByKey(deps.db, key);
  if (!survey) throw new NotFoundError(t(locale, 'surveys.not_found', { key }));
  return survey;
}

const surveyPath = (key: string) => `/surveys/${encodeURIComponent(key)}`;

/** /surveys: CX managers (editors) list, create, edit, activate, pause and archive surveys. */
export function surveyAdminRoutes(deps: Deps): Router {
  const router = Router();
  const editor = requireRole('editor');

  router.get('/surveys', editor, async (_req, res) => {
    const locale = localeOf(res.locals);
    const surveys = await listSurveys(deps.db);
    const shown = pageInstants((await getSettings(deps.db)).reporting_time_zone, res.locals);
    const groups = new Map<string, { key: string; name: string; surveys: Survey[] }>();
    for (const tp of await listTouchpoints(deps.db)) groups.set(tp.key, { key: tp.key, name: tp.name, surveys: [] });
    for (const s of surveys) groups.get(s.touchpoint_key)?.surveys.push({ ...s, changed: formatInstant(s.updated_at, shown) } as Survey);
    res.render('pages/surveys/index', {
      title: t(locale, 'surveys.title'),
      nav: 'surveys',
      touchpoints: [...groups.values()],
      fileErrors: surveyFileErrors(),
      baseUrl: deps.config.baseUrl,
    });
  });

  router.get('/surveys/new', editor, async (req, res) => {
    const metric = (metrics as readonly string[]).includes(String(req.query.metric)) ? (req.query.metric as Metric) : 'nps';
    res.render('pages/surveys/form', await formPage(deps, localeOf(res.locals), formFromTemplate(metric)));
  });

  router.post('/surveys', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const values = readSurveyForm(req.body);
    try {
      const survey = await createSurvey(deps.db, inputFromForm(values, undefined, locale), deps.clock.now(), 'ui', null, requestActor(req, res));
      setFlash(req, t(locale, 'surveys.created', { key: survey.key }));
      res.redirect(303, surveyPath(survey.key));
    } catch (err) {
      const failed = formErrors(locale, err, values);
      res.status(failed.status).render('pages/surveys/form', await formPage(deps, locale, values, { errors: failed.errors, formError: failed.message }));
    }
  });

  router.get('/surveys/:key', editor, async (req, res) => {
    const survey = await surveyOr404(deps, req.params.key as string, localeOf(res.locals));
    res.render('pages/surveys/form', await formPage(deps, localeOf(res.locals), formFromSurvey(survey), { survey }));
  });

  router.post('/surveys/:key', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const survey = await surveyOr404(deps, req.params.key as string, localeOf(res.locals));
    assertEditable(survey);
    // Key, touchpoint and metric stay: answers already counted depend on them.
    const values: SurveyForm = { ...readSurveyForm(req.body), key: survey.key, touchpoint: survey.touchpoint_key, metric: survey.metric };
    try {
      const { key: _k, touchpoint: _t, metric: _m, ...patch } = inputFromForm(values, surveyPatchSchema, locale);
      patch.rules = { ...rulesKeptFromSurvey(survey.rules), ...patch.rules };
      await updateSurvey(deps.db, survey.key, patch, deps.clock.now(), { replaceRules: true, actor: requestActor(req, res) });
      setFlash(req, t(locale, 'surveys.saved', { key: survey.key }));
      res.redirect(303, surveyPath(survey.key));
    } catch (err) {
      const failed = formErrors(locale, err, values);
      res.status(failed.status).render('pages/surveys/form', await formPage(deps, locale, values, { survey, errors: failed.errors, formError: failed.message }));
    }
  });

  const statusAction = (status: Survey['status'], done: 'activated' | 'paused' | 'archived') => async (req: Request, res: Response) => {
    const locale = localeOf(res.locals);
    const survey = await surveyOr404(deps, req.params.key as string, localeOf(res.locals));
    assertEditable(survey);
    try {
      await updateSurvey(deps.db, survey.key, { status }, deps.clock.now(), { actor: requestActor(req, res) });
      setFlash(req, t(locale, 'surveys.status_done', { key: survey.key, done }));
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      setFlash(req, t(locale, 'surveys.status_failed', { key: survey.key, done, message: err.message }));
    }
    res.redirect(303, surveyPath(survey.key));
  };
  router.post('/surveys/:key/activate', editor, statusAction('active', 'activated'));
  router.post('/surveys/:key/pause', editor, statusAction('paused', 'paused'));
  router.post('/surveys/:key/archive', editor, statusAction('archived', 'archived'));

  router.post('/surveys/:key/export', editor, async (req, res) => {
    const locale = localeOf(res.locals);
    const survey = await surveyOr404(deps, req.params.key as string, localeOf(res.locals));
    const file = await exportSurveyFile(deps, survey.key);
    setFlash(req, t(locale, 'surveys.exported', { key: survey.key, file }));
    res.redirect(303, surveyPath(survey.key));
  });

  return router;
}
