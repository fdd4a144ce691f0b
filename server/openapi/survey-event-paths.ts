import type { RouteConfig, ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { errors, json, notFound, problem } from './problem.ts';
import { event, eventBatch, surveyInput, surveyKeyParams, surveyListQuery, surveyPatch } from './request-schemas.ts';
import { batchAnswer, eventAnswer, survey, surveyList } from './response-schemas.ts';

/** The calls of /surveys and /events (server/surveys/api-routes.ts, server/events/api-routes.ts). */

const body = (schema: z.ZodType): ZodRequestBody => ({ required: true, content: { 'application/json': { schema } } });

export const surveyPaths: RouteConfig[] = [
  {
    method: 'get',
    path: '/surveys',
    tags: ['surveys'],
    operationId: 'listSurveys',
    summary: 'List surveys',
    request: { query: surveyListQuery },
    responses: { 200: json('The surveys.', surveyList), ...errors },
  },
  {
    method: 'post',
    path: '/surveys',
    tags: ['surveys'],
    operationId: 'createSurvey',
    summary: 'Create a survey',
    request: { body: body(surveyInput) },
    responses: {
      201: json('The survey.', survey),
      ...errors,
      409: problem('A survey with this key exists, or the touchpoint has another active survey.'),
    },
  },
  {
    method: 'get',
    path: '/surveys/{key}',
    tags: ['surveys'],
    operationId: 'getSurvey',
    summary: 'Read a survey',
    request: { params: surveyKeyParams },
    responses: { 200: json('The survey.', survey), ...errors, ...notFound },
  },
  {
    method: 'patch',
    path: '/surveys/{key}',
    tags: ['surveys'],
    operationId: 'updateSurvey',
    summary: 'Change a survey',
    request: { params: surveyKeyParams, body: body(surveyPatch) },
    responses: {
      200: json('The survey.', survey),
      ...errors,
      ...notFound,
      409: problem('The survey is managed by a file, or the change conflicts.'),
    },
  },
];

export const eventPaths: RouteConfig[] = [
  {
    method: 'post',
    path: '/events',
    tags: ['events'],
    operationId: 'sendEvent',
    summary: 'Send a transaction event',
    description: 'Stored durably before the answer. The same (touchpoint, transaction_id) again returns 200 and the first answer, creating nothing.',
    request: { body: body(event) },
    responses: {
      202: json('Accepted and decided.', eventAnswer),
      200: json('A repeat: the first answer.', eventAnswer),
      ...errors,
      503: problem('The database was busy: nothing was recorded. Send the same event again after `Retry-After` seconds; a repeat is safe.'),
    },
  },
  {
    method: 'post',
    path: '/events/batch',
    tags: ['events'],
    operationId: 'sendEvents',
    summary: 'Send a batch of events',
    description: 'Each event is taken on its own: an invalid one gets an error entry and does not stop the others.',
    request: { body: body(eventBatch) },
    responses: { 200: json('One result per event, in order.', batchAnswer), ...errors },
  },
];
