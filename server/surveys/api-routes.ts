import { Router } from 'express';
import type { Deps } from '../deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { findSurveyByKey, listSurveys } from './queries.ts';
import { createSurvey, updateSurvey } from './service.ts';
import { presentSurvey } from './present.ts';
import type { Survey } from './model.ts';
import { requestActor } from '../audit/actor.ts';

/** A survey that a file manages changes only in its file. */
export function assertEditable(survey: Survey): void {
  if (survey.source === 'file') {
    throw new ConflictError(`The survey ${survey.key} is managed by the file ${survey.source_file}; change that file and restart`, [
      { field: 'source', message: `managed by ${survey.source_file}` },
    ]);
  }
}

async function surveyOr404(deps: Deps, key: string): Promise<Survey> {
  const survey = await findSurveyByKey(deps.db, key);
  if (!survey) throw new NotFoundError(`No survey has the key ${key}`);
  return survey;
}

const isObject = (body: unknown): body is Record<string, unknown> => !!body && typeof body === 'object' && !Array.isArray(body);

/** /surveys: list, create (201), read, change. */
export function surveyApiRoutes(deps: Deps): Router {
  const router = Router();
  const show = (survey: Survey) => presentSurvey(survey, deps.config.baseUrl);

  router.get('/surveys', async (req, res) => {
    const { touchpoint, status } = req.query;
    const surveys = (await listSurveys(deps.db)).filter(
      (s) => (typeof touchpoint !== 'string' || s.touchpoint_key === touchpoint) && (typeof status !== 'string' || s.status === status),
    );
    res.json({ surveys: surveys.map(show) });
  });

  router.post('/surveys', async (req, res) => {
    if (!isObject(req.body)) throw ValidationError.field('(body)', 'must be a JSON object, a survey');
    const survey = await createSurvey(deps.db, req.body as never, deps.clock.now(), 'api', null, requestActor(req, res));
    res.status(201).location(`/api/v1/surveys/${survey.key}`).json(show(survey));
  });

  router.get('/surveys/:key', async (req, res) => {
    res.json(show(await surveyOr404(deps, req.params.key)));
  });

  router.patch('/surveys/:key', async (req, res) => {
    const survey = await surveyOr404(deps, req.params.key);
    assertEditable(survey);
    if (!isObject(req.body)) throw ValidationError.field('(body)', 'must be a JSON object with the fields to change');
    const fixed = { key: survey.key, touchpoint: survey.touchpoint_key, metric: survey.metric } as const;
    const moved = (Object.keys(fixed) as (keyof typeof fixed)[]).filter((f) => f in req.body && req.body[f] !== fixed[f]);
    if (moved.length) {
      throw new ValidationError(moved.map((field) => ({ field, message: `cannot change (it is ${fixed[field]}); create a new survey instead` })));
    }
    res.json(show(await updateSurvey(deps.db, survey.key, req.body as never, deps.clock.now(), { actor: requestActor(req, res) })));
  });
  return router;
}
